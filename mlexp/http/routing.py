"""URL rules that compile their URL builders on first use instead of when they are registered."""
from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    """Werkzeug compiles two builder functions per rule (an AST, then `compile`) as each rule is
    added. For mlexp's ~145 rules that was 40–80 ms of every start, yet a server builds URLs
    (`url_for`) for only the few endpoints its pages link to. Matching is unchanged: only the
    builders wait until a URL is first built for this rule."""

    def _compile_builder(self, append_unknown: bool = True):
        compile_builder = super()._compile_builder
        builder = None

        def build_on_first_use(rule: Rule, *args, **kwargs):
            nonlocal builder
            if builder is None:  # two threads may both compile it once: same function, no harm
                builder = compile_builder(append_unknown)
            return builder(rule, *args, **kwargs)

        return build_on_first_use
