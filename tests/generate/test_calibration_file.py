"""The calibration file: the shipped default, validation messages, scaling."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.generate import DEFAULT_CALIBRATION, FAULTS, generate, load_calibration

SPEC = Path(__file__).resolve().parents[3] / "shared" / "contract" / "calibration.md"


def test_default_file_is_the_contract_example():
    cal = load_calibration(DEFAULT_CALIBRATION)
    assert cal.orgs["12"].outstanding_vnd == 6_304_000_000_000
    if SPEC.exists():
        text = SPEC.read_text(encoding="utf-8")
        block = text.split("```yaml", 1)[1].split("```", 1)[0]
        assert yaml.safe_load(block) == yaml.safe_load(DEFAULT_CALIBRATION.read_text("utf-8"))


def test_scaling_rounds_half_up_exactly():
    cal = load_calibration(DEFAULT_CALIBRATION).scaled(0.01)
    assert cal.orgs["12"].outstanding_vnd == 63_040_000_000
    assert cal.orgs["14"].groups == 3  # 3.30 -> 3
    assert cal.period_lending.poor_group_turns == 5  # 4.81 -> 5
    assert cal.reconciliation.in_scope == 2541  # 2540.76 -> 2541
    assert cal.communes == 30  # never fewer than one commune per district office


def _write(tmp_path, mutate) -> Path:
    raw = yaml.safe_load(DEFAULT_CALIBRATION.read_text("utf-8"))
    mutate(raw)
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda r: r["orgs"].pop("12"), "orgs.12"),
        (lambda r: r["period_lending"].pop("workers_attracted"), "workers_attracted"),
        (lambda r: r.__setitem__("scale", 1000), "scale"),
        (lambda r: r["reconciliation"].__setitem__("reconciled", 10**9), "reconciled"),
        (lambda r: r.__setitem__("opening_date", "yesterday"), "opening_date"),
        (lambda r: r["orgs"]["11"].__setitem__("groups", "many"), "orgs.11.groups"),
        (lambda r: r.pop("direct_outstanding_vnd"), "direct_outstanding_vnd"),
    ],
)
def test_bad_file_names_the_key(tmp_path, mutate, key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        load_calibration(_write(tmp_path, mutate))


def test_org_change_must_sum_to_the_entrusted_change(tmp_path):
    p = _write(tmp_path, lambda r: r["org_change_vnd"].__setitem__("14", 3_000_000_000))
    with pytest.raises(ValueError, match=r"org_change_vnd .*entrusted_change_vnd") as e:
        load_calibration(p)
    assert "org_change_vnd.11" in str(e.value)
    p = _write(tmp_path, lambda r: r["org_change_vnd"].pop("13"))
    with pytest.raises(ValueError, match=r"org_change_vnd\.13"):
        load_calibration(p)


def test_org_change_is_optional(tmp_path):
    cal = load_calibration(_write(tmp_path, lambda r: r.pop("org_change_vnd")))
    assert cal.org_change_vnd is None and cal.scaled(0.01).org_change_vnd is None


def test_scaled_org_changes_still_sum_to_the_scaled_total(tmp_path):
    def odd(r):
        r["org_change_vnd"] = {"11": 1_000_000_003, "12": 7, "13": -5, "14": 1_000_000_005}
        r["entrusted_change_vnd"] = 2_000_000_010

    cal = load_calibration(_write(tmp_path, odd))
    for s in (0.01, 0.3, 0.5, 0.004, 2.5):
        sc = cal.scaled(s)
        assert sum(sc.org_change_vnd.values()) == sc.entrusted_change_vnd
        for org, v in cal.org_change_vnd.items():
            assert abs(sc.org_change_vnd[org] - v * s) < 1.5, (s, org)


def test_inconsistent_targets_are_refused(tmp_path):
    p = _write(tmp_path, lambda r: r["period_lending"].__setitem__("workers_attracted", 5))
    with pytest.raises(ValueError, match="workers_attracted"):
        generate(tmp_path / "raw", p, scale=0.005)


def test_unknown_fault_and_format_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown fault"):
        generate(tmp_path, scale=0.005, inject=["no-such-fault"])
    with pytest.raises(ValueError, match="fmt"):
        generate(tmp_path, scale=0.005, fmt="ods")
    assert all(isinstance(v, str) and v for v in FAULTS.values())
