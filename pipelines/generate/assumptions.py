"""Structural choices: plausible shapes of the Hanoi portfolio, never a calibration target.

The calibration file fixes the published figures; these fix everything it leaves open
(programme mix, amount ranges, how many borrowers are new, ...). The first period
(``model.py``) and the later periods of a history (``history.py``) draw with the same ones.
"""

from __future__ import annotations

# ----- the branch ------------------------------------------------------------------------------
KIND_BORROWER_WEIGHT = {"urban": 1.0, "town": 1.6, "rural": 3.0}
KIND_COMMUNE_WEIGHT = {"urban": 0.75, "town": 1.0, "rural": 1.0}
# NSVSMT and poor-household loans go to the most rural communes, direct borrowers to the
# least rural; groups and trouble concentrate in rural ones.
RURAL_SCORE = {"rural": 1.0, "town": 0.5, "urban": 0.0}
HAMLETS_PER_COMMUNE = (4, 13)
TROUBLED_COMMUNE_SHARE = 0.012
GROUP_MAX_MEMBERS = 60
GROUP_MIN_MEMBERS = 3

# ----- customers -------------------------------------------------------------------------------
NEW_CUSTOMER_SHARE = 0.62  # share of a period's turns that go to customers new to the bank
SAVINGS_ONLY_SHARE = 0.025  # savings-only members per member with outstanding
SECOND_OLD_LOAN_SHARE = 0.06  # continuing customers with a loan in a second programme
SAVINGS_BOOK_SHARE = 0.92  # borrowers with a savings book at all
TWO_BOOKS_SHARE = 0.03  # borrowers with a second savings book (contract 4.1 quirk)
EMPTY_PHONE_SHARE = 0.15
DIRECT_MEAN_OUTSTANDING = 420_000_000
DIRECT_AT_DISTRICT_SHARE = 0.12
CATEGORY_OF_PROGRAM = {"01": "Hộ nghèo", "19": "Hộ cận nghèo", "20": "Hộ mới thoát nghèo"}

# ----- loans -----------------------------------------------------------------------------------
ENTRUSTED_PROGRAMS = ("01", "19", "20", "03", "06", "02", "04", "07")
OLD_PROGRAM_MIX = {
    "rural": (0.05, 0.12, 0.05, 0.33, 0.22, 0.04, 0.03, 0.16),
    "town": (0.035, 0.09, 0.035, 0.47, 0.12, 0.07, 0.04, 0.14),
    "urban": (0.02, 0.06, 0.02, 0.60, 0.03, 0.10, 0.05, 0.12),
}
# (min, max, step) of the contract amount in million đồng, and the terms in months.
AMOUNT_RANGE = {
    "01": (50, 100, 5),
    "19": (50, 100, 5),
    "20": (50, 100, 5),
    "03": (30, 100, 5),
    "06": (20, 40, 5),
    "02": (30, 60, 5),
    "04": (60, 100, 5),
    "07": (50, 100, 5),
    "12": (300, 900, 10),
    "30": (50, 1500, 10),
    "03d": (200, 1200, 10),
}
TERMS = {
    "01": (36, 48, 60),
    "19": (36, 48, 60),
    "20": (36, 48, 60),
    "03": (36, 60, 84, 120),
    "06": (60,),
    "02": (48, 60, 72),
    "04": (12, 24, 36),
    "07": (36, 60),
    "12": (300,),
    "30": (12,),
    "03d": (60,),
}
DIRECT_OLD_MIX = (("30", 0.50), ("12", 0.42), ("03", 0.08))
DIRECT_NEW_PROGRAMS = ("30", "12")  # alternating; never 03, which counts as job creation
WORKS_PER_WATER_LOAN = 2.05  # water + sanitation works per NSVSMT loan (~8.6k loans)
MAX_WORKERS_PER_LOAN = 8
DEC_DISBURSED_SHARE = 0.015  # continuing loans first disbursed in December (opening)
TURN_MONTH_WEIGHTS = (0.36, 0.24, 0.40)  # Tết falls in February
REVERSAL_SHARE = 0.01  # turns with a wrong disbursement reversed (DK) and redone

# ----- repayments ------------------------------------------------------------------------------
PAYER_FREQUENCY = (0.45, 0.40, 0.15)  # monthly, once in the period, not this period
TWO_PART_SETTLEMENT = 0.4  # settlers paying their last balance over two months
# Later periods of a history:
OVERDUE_ACTIONS = (0.4, 0.2, 0.4)  # an overdue loan: collected (TNQH), frozen (KHN), unchanged
FROZEN_ACTIONS = (0.35, 0.35, 0.3)  # a frozen loan: written off in part (XN), collected, unchanged
MIN_BALANCE = 1_000  # a continuing loan keeps at least this (its customer keeps outstanding)
STEP = 1_000  # instalments are whole thousands of đồng, except one residue per book
DIRECT_EARLY_SHARE = 0.5  # a direct book repaying more than this share settles loans early

# ----- the reconciliation campaign -------------------------------------------------------------
RECON_MONTH_WEIGHTS = (0.28, 0.30, 0.42)
