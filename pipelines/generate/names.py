"""Synthetic Vietnamese names: people, enterprises, communes (vectorised with numpy)."""

from __future__ import annotations

import numpy as np

# Family names with rough frequencies in northern Vietnam (Nguyễn dominates).
SURNAMES = (
    ("Nguyễn", 30),
    ("Trần", 10),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Vũ", 5),
    ("Đỗ", 4),
    ("Bùi", 4),
    ("Đặng", 3),
    ("Ngô", 3),
    ("Dương", 2),
    ("Đào", 2),
    ("Phan", 2),
    ("Đinh", 2),
    ("Lương", 1),
    ("Trịnh", 1),
    ("Tạ", 1),
    ("Kiều", 1),
    ("Lại", 1),
    ("Chu", 1),
    ("Khuất", 1),
    ("Nghiêm", 1),
    ("Hà", 1),
    ("Tô", 1),
)
MIDDLE_MALE = ("Văn", "Văn", "Văn", "Đức", "Hữu", "Quang", "Minh", "Xuân", "Công", "Đình")
MIDDLE_FEMALE = ("Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Hồng", "Kim", "Minh")
GIVEN_MALE = (
    "Hùng",
    "Dũng",
    "Tuấn",
    "Hải",
    "Long",
    "Nam",
    "Sơn",
    "Thắng",
    "Hưng",
    "Cường",
    "Bình",
    "Toàn",
    "Quân",
    "Trung",
    "Hiếu",
    "Đạt",
    "Phong",
    "Tùng",
    "Khánh",
    "Thành",
    "Chiến",
    "Huy",
    "Tiến",
    "Lâm",
    "Vinh",
    "Mạnh",
    "Kiên",
    "Tâm",
    "Hòa",
    "Lợi",
    "Thịnh",
    "Việt",
)
GIVEN_FEMALE = (
    "Hoa",
    "Lan",
    "Hương",
    "Mai",
    "Hằng",
    "Nga",
    "Thủy",
    "Hà",
    "Linh",
    "Trang",
    "Dung",
    "Yến",
    "Huyền",
    "Phương",
    "Thảo",
    "Loan",
    "Oanh",
    "Nhung",
    "Tâm",
    "Hạnh",
    "Liên",
    "Thơm",
    "Vân",
    "Xuân",
    "Chi",
    "Ngân",
    "Quyên",
    "Hiền",
    "Lý",
    "Tuyết",
    "Thắm",
    "Bích",
)
COMPANY_KINDS = ("Công ty TNHH", "Công ty cổ phần", "Doanh nghiệp tư nhân", "Hợp tác xã")
COMPANY_WORDS = (
    "May mặc",
    "Cơ khí",
    "Dệt may",
    "Thực phẩm",
    "Xây dựng",
    "Thương mại",
    "Du lịch",
    "Vận tải",
    "Điện tử",
    "Gốm sứ",
    "Nội thất",
    "Bao bì",
    "Nhựa",
    "In ấn",
    "Dịch vụ",
)
COMPANY_NAMES = (
    "Hồng Hà",
    "Thăng Long",
    "Sông Đà",
    "Tây Hồ",
    "Hoàng Gia",
    "An Phát",
    "Minh Long",
    "Phú Thịnh",
    "Đại Việt",
    "Kim Anh",
    "Tân Tiến",
    "Bình Minh",
    "Hưng Thịnh",
    "Việt Hà",
)
# Syllables that make up northern commune names ("Xã Tân Hưng", "Phường Phúc Xá").
PLACE_SYLLABLES = (
    "An",
    "Bình",
    "Phú",
    "Tân",
    "Hòa",
    "Đông",
    "Tây",
    "Nam",
    "Bắc",
    "Minh",
    "Khánh",
    "Thượng",
    "Hạ",
    "Vĩnh",
    "Phúc",
    "Thanh",
    "Lâm",
    "Sơn",
    "Hưng",
    "Đức",
    "Long",
    "Xuân",
    "Thụy",
    "Cổ",
    "Liên",
    "Hồng",
    "Quang",
    "Trung",
    "Văn",
    "Kim",
    "Hà",
    "Yên",
    "Đại",
    "Cao",
    "Mỹ",
    "Hợp",
    "Tiến",
    "Thắng",
    "Lạc",
    "Đồng",
    "Tam",
    "Nghĩa",
    "Châu",
    "Phương",
    "Quảng",
    "Vân",
    "Tảo",
    "Thái",
    "Thịnh",
    "Lĩnh",
    "Nội",
    "Ngọc",
    "Hoàng",
    "Dương",
    "Cẩm",
    "Tự",
    "Lập",
    "Thủy",
)


def _pick(rng: np.random.Generator, items: tuple, n: int, p=None) -> np.ndarray:
    return np.asarray(items, dtype=object)[rng.choice(len(items), size=n, p=p)]


def person_names(rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
    """Full names ``Họ Đệm Tên`` for each person; ``female`` is a boolean array."""
    n = len(female)
    w = np.array([f for _, f in SURNAMES], dtype=float)
    sur = _pick(rng, tuple(s for s, _ in SURNAMES), n, w / w.sum())
    mid = np.where(female, _pick(rng, MIDDLE_FEMALE, n), _pick(rng, MIDDLE_MALE, n))
    giv = np.where(female, _pick(rng, GIVEN_FEMALE, n), _pick(rng, GIVEN_MALE, n))
    return sur + " " + mid + " " + giv


def company_names(rng: np.random.Generator, n: int) -> np.ndarray:
    return (
        _pick(rng, COMPANY_KINDS, n)
        + " "
        + _pick(rng, COMPANY_WORDS, n)
        + " "
        + _pick(rng, COMPANY_NAMES, n)
    )


def commune_names(rng: np.random.Generator, n: int, prefix: str) -> list[str]:
    """``n`` distinct names within one district, e.g. ``Xã Tân Hưng``."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        a, b = rng.choice(len(PLACE_SYLLABLES), size=2, replace=False)
        name = f"{prefix} {PLACE_SYLLABLES[a]} {PLACE_SYLLABLES[b]}"
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out
