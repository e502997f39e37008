"""``results.md``: a bench report as Markdown tables, one per scenario, and the nights after
the longer history against the same nights after one quarter."""

from __future__ import annotations


def to_markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"# Benchmark {report['started']}",
        "",
        f"Machine: {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}. "
        f"Dagster storage: {report.get('dagster_storage', 'sqlite')}.",
        "",
    ]
    for name, sc in report["scenarios"].items():
        lines += [
            f"## {name} (scale {sc['scenario']['scale']}, {sc['scenario']['fmt']})",
            "",
            "| stage | wall s | cpu s | peak MB | tree MB | vs floor | notes |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for s in sc["stages"]:
            ratio = f"{s['ratio_to_floor']}x {s['floor']}" if s["ratio_to_floor"] else ""
            notes = ", ".join(f"{k}={v}" for k, v in s["extra"].items())
            if not s["ok"]:
                notes = f"FAILED {s['detail']} {notes}"
            lines.append(
                f"| {s['stage']} | {s['wall_s']} | {s['cpu_s']} | {s['peak_rss_mb']} "
                f"| {s.get('peak_tree_mb') or ''} | {ratio} | {notes} |"
            )
        lines.append("")
    lines += _history_ratios(report)
    return "\n".join(lines)


NIGHTS = ("nightly_mid_month_day", "nightly_month_end", "nightly_redelivered_old_file")


def _history_ratios(report: dict) -> list[str]:
    """Each night after the longer history against the same night after one quarter, when both
    scenarios of a scale ran (nightly-S and nightly-history-S)."""
    lines = []
    for name, sc in report["scenarios"].items():
        other = name.replace("nightly-history-", "nightly-")
        if not name.startswith("nightly-history-") or other not in report["scenarios"]:
            continue
        short = {s["stage"]: s for s in report["scenarios"][other]["stages"]}
        lines += [
            f"## {name} against {other}",
            "",
            "| night | one quarter s | history s | ratio |",
            "|---|---:|---:|---:|",
        ]
        for s in sc["stages"]:
            base = short.get(s["stage"])
            if s["stage"] in NIGHTS and base and s["ok"] and base["ok"] and base["wall_s"]:
                ratio = round(s["wall_s"] / base["wall_s"], 2)
                lines.append(f"| {s['stage']} | {base['wall_s']} | {s['wall_s']} | {ratio} |")
        lines.append("")
    return lines
