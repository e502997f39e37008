"""The scenario cut into offices: what lets a national-size run fit in memory.

Every customer belongs to one office (a group member to its commune's office, a direct
borrower to ``0100`` or a district office), and so do its loans, savings books, campaign row
and group. So each office's reports depend on that office's slice of the scenario only, and
the parent hands one office at a time to a worker instead of building branch-wide frames.

A slice keeps the scenario's row order (indices are taken in increasing order), renumbers
customers and groups locally, and carries the branch-wide indices (``gidx``) that the codes
and the reconciliation officer are derived from, so an office's files are the same as if
they had been cut out of branch-wide frames.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from pipelines.contract.codes import UNITS

from .model import Scenario, dense_column, dense_rows, roll_forward

OFFICE_CODES = tuple(sorted(u.code for u in UNITS))
# Flow types with one journal line each (besides GN / DK): see ``core.FLOW_OF_TYPE``.
JOURNAL_FLOWS = ("th", "qh", "kh", "tl", "cqh", "khn", "wo")
# The journal's txn id is ``yymmdd`` + an 8-digit sequence number (14 characters).
TXN_SEQ_DIGITS = 8


class OfficeSplit:
    """Index arrays of every office, computed once from the branch-wide scenario."""

    def __init__(self, sc: Scenario):
        self.sc = sc
        pos = {o: i for i, o in enumerate(OFFICE_CODES)}
        office = sc.customers["office"]
        c_off = np.zeros(len(office), np.int64)
        for o, i in pos.items():
            c_off[office == o] = i
        self.cust_office = c_off
        self.loan_office = c_off[sc.loans["customer"]]
        # A group's office is its commune's (all its members are there).
        com_off = np.array([pos[o] for o in sc.communes["office"]], np.int64)
        self.group_office = com_off[sc.groups["commune"]]
        self.pos = pos

    def n_loans(self, office: str) -> int:
        return int((self.loan_office == self.pos[office]).sum())

    def scenario(self, office: str) -> Scenario:
        """The office's slice of the scenario (see the module docstring)."""
        sc = self.sc
        i = self.pos[office]
        c_sel = np.flatnonzero(self.cust_office == i)
        l_sel = np.flatnonzero(self.loan_office == i)
        g_sel = np.flatnonzero(self.group_office == i)

        def local(sel: np.ndarray, idx: np.ndarray) -> np.ndarray:
            # branch-wide index -> position in ``sel`` (-1 stays -1)
            out = np.searchsorted(sel, np.maximum(idx, 0))
            return np.where(idx >= 0, out, -1)

        cust = {k: v[c_sel] for k, v in sc.customers.items()}
        cust["group"] = local(g_sel, cust["group"])
        cust["gidx"] = c_sel
        groups = {k: v[g_sel] for k, v in sc.groups.items()}
        groups["leader"] = local(c_sel, groups["leader"])
        loans = {k: v[l_sel] for k, v in sc.loans.items()}
        loans["customer"] = local(c_sel, loans["customer"])
        loans["gidx"] = l_sel
        s_sel = np.flatnonzero(self.cust_office[sc.savings["customer"]] == i)
        savings = {k: v[s_sel] for k, v in sc.savings.items()}
        savings["customer"] = local(c_sel, savings["customer"])
        r_sel = np.flatnonzero(self.cust_office[sc.recon["customer"]] == i)
        recon = {k: v[r_sel] for k, v in sc.recon.items()}
        recon["customer"] = local(c_sel, recon["customer"])
        flows = {t: dense_rows(v, l_sel) for t, v in sc.flows.items()}
        if sc.opening is not None:
            it, ov, fz = roll_forward(tuple(x[l_sel] for x in sc.opening), flows, sc.n_snap)
        else:
            it, ov, fz = sc.it[l_sel], sc.ov[l_sel], sc.fz[l_sel]
        return Scenario(
            cal=sc.cal,
            dates=sc.dates,
            communes=sc.communes,
            groups=groups,
            customers=cust,
            loans=loans,
            it=it,
            ov=ov,
            fz=fz,
            flows=flows,
            present=sc.present[l_sel],
            savings=savings,
            recon=recon,
            gn_wrong=dense_rows(sc.gn_wrong, l_sel),
            notes={"office": office},
            bounds=sc.bounds,
        )

    def txn_bases(self) -> dict[str, dict[dt.date, int]]:
        """Per office and journal day: the txn sequence number before its first line.

        The journal is numbered in delivery order (day, office, then the lines' own order),
        branch-wide, as one sequence; where the branch's lines would overflow the sequence's
        8 digits (a scale far beyond national size), the sequence restarts every day instead,
        which keeps the id unique with its ``yymmdd`` prefix.
        """
        sc = self.sc
        n_off = len(OFFICE_CODES)
        tday = sc.loans["tday"]
        # counts[(month * 29 + day) * n_off + office]: the journal lines of that day and office,
        # by the rules of ``core.build_journal`` (a GN + DK pair per wrong disbursement, the
        # GN of the rest, one line per other flow type with an amount).
        counts = np.zeros(sc.n_snap * 29 * n_off, np.int64)
        for m in range(1, sc.n_snap):
            wrong = dense_column(sc.gn_wrong, m)
            lines = 2 * (wrong > 0) + (dense_column(sc.flows["disb"], m) - wrong > 0)
            for flow in JOURNAL_FLOWS:
                lines = lines + (dense_column(sc.flows[flow], m) > 0)
            key = (m * 29 + tday) * n_off + self.loan_office
            counts += np.bincount(key, weights=lines, minlength=len(counts)).astype(np.int64)
        per_day = counts.reshape(-1, n_off)  # rows: (month, day) in date order
        day_tot = per_day.sum(1)
        if (day_tot >= 10**TXN_SEQ_DIGITS).any():
            raise ValueError("scale too large: more than 10^8 journal lines on one day")
        before_day = np.r_[0, np.cumsum(day_tot)[:-1]]
        if int(day_tot.sum()) >= 10**TXN_SEQ_DIGITS:
            before_day[:] = 0
        within = np.cumsum(per_day, 1) - per_day  # lines of the earlier offices that day
        out: dict[str, dict[dt.date, int]] = {o: {} for o in OFFICE_CODES}
        for r in np.flatnonzero(day_tot):
            m, d = divmod(int(r), 29)
            for j, o in enumerate(OFFICE_CODES):
                if per_day[r, j]:
                    day = dt.date(sc.dates[m].year, sc.dates[m].month, d)
                    out[o][day] = int(before_day[r] + within[r, j])
        return out
