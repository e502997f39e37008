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

import numpy as np

from pipelines.contract.codes import UNITS

from .scenario import Scenario, dense_rows, roll_forward

OFFICE_CODES = tuple(sorted(u.code for u in UNITS))


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
