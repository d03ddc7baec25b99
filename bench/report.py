"""The comparison table: figures per workload and server, and mlexp/MLflow ratios."""

COLUMNS = [("clients", "clients"), ("ops_s", "ops/s"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"),
           ("rows_s", "rows/s"), ("mb_s", "MB/s"), ("seconds", "total s"), ("mem_mb", "mem MB"),
           ("errors", "errors")]
HIGHER_IS_BETTER = {"ops_s", "rows_s", "mb_s"}
LOWER_IS_BETTER = {"p50_ms", "p99_ms", "seconds", "mem_mb"}


def ratios(mine: dict, theirs: dict) -> dict:
    """mine/theirs for throughputs, theirs/mine for latencies, seconds and memory: >1 favours mine."""
    out = {}
    for key in HIGHER_IS_BETTER | LOWER_IS_BETTER:
        a, b = mine.get(key), theirs.get(key)
        if a and b:
            out[key] = round(a / b if key in HIGHER_IS_BETTER else b / a, 2)
    return out


def number(value) -> str:
    """Three significant figures or more, no exponent: 0.0444, 4.44, 44.4, 444, 4444."""
    if isinstance(value, int):
        return str(value)
    magnitude = abs(value)
    return f"{value:.0f}" if magnitude >= 100 else f"{value:.1f}" if magnitude >= 10 else \
        f"{value:.2f}" if magnitude >= 1 else f"{value:.3g}"


def print_table(names: list[str], results: dict, ratio_table: dict) -> None:
    keys = [k for k in dict.fromkeys(k for name in names for k in results[name])]
    header = f"{'workload':<28}{'server':<9}" + "".join(f"{title:>10}" for _, title in COLUMNS)
    print(header)
    print("-" * len(header))
    for key in keys:
        label = key
        for name in names:
            figures = results[name].get(key)
            if figures is None:
                continue
            cells = "".join(f"{number(figures[c]) if figures.get(c) is not None else '-':>10}" for c, _ in COLUMNS)
            print(f"{label:<28}{name:<9}{cells}")
            label = ""
        if key in ratio_table:
            cells = "".join(f"{(number(ratio_table[key][c]) + 'x') if c in ratio_table[key] else '':>10}"
                            for c, _ in COLUMNS)
            print(f"{'':<28}{'ratio':<9}{cells}")
    if ratio_table:
        print(f"ratio = {names[0]}/{names[1]}, inverted for p50, p99, total s and memory: above 1 favours {names[0]}")
    print("mem MB: startup = RSS idle after start; artifacts = peak RSS during the transfer "
          "(summed over the server's processes)")
