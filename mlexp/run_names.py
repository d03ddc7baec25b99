"""Readable generated run names such as ``brave-otter-417``."""
import secrets

_ADJECTIVES = (
    "able", "bold", "brave", "bright", "calm", "clever", "crisp", "daring", "eager", "fair",
    "fast", "gentle", "glad", "grand", "happy", "honest", "jolly", "keen", "kind", "lively",
    "lucky", "merry", "mighty", "neat", "nimble", "noble", "polite", "proud", "quick", "quiet",
    "rapid", "sharp", "shy", "silent", "smart", "steady", "sunny", "swift", "tidy", "vivid",
    "warm", "wise", "witty", "young", "zesty",
)
_NOUNS = (
    "ant", "bat", "bear", "bee", "bird", "cat", "colt", "crab", "crow", "deer", "dog", "dove",
    "duck", "eel", "elk", "finch", "fox", "frog", "goat", "hawk", "hen", "heron", "horse",
    "koala", "lark", "lion", "lynx", "mole", "moth", "mouse", "newt", "otter", "owl", "panda",
    "pike", "quail", "ram", "seal", "shark", "sloth", "snail", "swan", "toad", "trout", "wasp",
    "whale", "wolf", "wren", "yak", "zebra",
)


def generate_run_name() -> str:
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{secrets.randbelow(1000)}"
