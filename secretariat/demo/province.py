"""The demo province: Lâm Đồng after the 2025 merger (communes and wards, no districts).

Names are realistic; codes follow the platform's OrganId pattern but are invented for the demo.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROVINCE_SUFFIX = "H29"
DEMO_PASSWORD = "secretariat-demo"  # noqa: S105 (demo mode only; seed_demo refuses production)
# Base32 TOTP secret enrolled for the demo accounts (demo mode only, shown in the README).
DEMO_TOTP_SECRET = "SECRETARIATDEMOA"  # noqa: S105


def code(a: int, b: int, c: int) -> str:
    return f"{a:03d}.{b:02d}.{c:02d}.{PROVINCE_SUFFIX}"


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    kind: str
    abbreviation: str
    name_fr: str = ""
    name_en: str = ""
    children: tuple[UnitSpec, ...] = field(default=())


COMMUNES = [
    (
        "ward_committee",
        "Đảng ủy phường Xuân Hương - Đà Lạt",
        ["Khu phố 1", "Khu phố 2", "Khu phố 3", "Khu phố 4"],
    ),
    (
        "ward_committee",
        "Đảng ủy phường Cam Ly - Đà Lạt",
        [
            "Tổ dân phố Cam Ly",
            "Tổ dân phố Ánh Sáng",
            "Tổ dân phố Hoàng Văn Thụ",
            "Tổ dân phố Phan Chu Trinh",
        ],
    ),
    (
        "ward_committee",
        "Đảng ủy phường Lâm Viên - Đà Lạt",
        [
            "Tổ dân phố Hà Huy Tập",
            "Tổ dân phố Trần Quang Diệu",
            "Tổ dân phố Mai Anh Đào",
            "Tổ dân phố Xô Viết Nghệ Tĩnh",
        ],
    ),
    (
        "ward_committee",
        "Đảng ủy phường Lang Biang - Đà Lạt",
        [
            "Tổ dân phố Đăng Lèn",
            "Tổ dân phố Bon Đưng",
            "Tổ dân phố Đà Thành",
            "Tổ dân phố Đồng Tâm",
        ],
    ),
    (
        "commune_committee",
        "Đảng ủy xã Lạc Dương",
        ["Thôn Đạ Nghịt", "Thôn Đưng K'Si", "Thôn Păng Tiêng", "Thôn Long Lanh"],
    ),
    (
        "commune_committee",
        "Đảng ủy xã Đơn Dương",
        ["Thôn Lạc Thạnh", "Thôn Lạc Viên", "Thôn Nghĩa Lập", "Thôn Đường Mới"],
    ),
    (
        "commune_committee",
        "Đảng ủy xã Đức Trọng",
        ["Thôn Phú Thạnh", "Thôn Phú Trung", "Thôn Bồng Lai", "Thôn Tân Hiệp"],
    ),
    (
        "commune_committee",
        "Đảng ủy xã Di Linh",
        ["Thôn Ka La", "Thôn Đồng Lạc", "Thôn Tân Lâm", "Thôn Đinh Lạc"],
    ),
    (
        "ward_committee",
        "Đảng ủy phường Bảo Lộc 1",
        ["Tổ dân phố 1", "Tổ dân phố 2", "Tổ dân phố 3", "Tổ dân phố 4"],
    ),
    (
        "ward_committee",
        "Đảng ủy phường Bắc Gia Nghĩa",
        [
            "Tổ dân phố Nghĩa Đức",
            "Tổ dân phố Nghĩa Thành",
            "Tổ dân phố Nghĩa Phú",
            "Tổ dân phố Nghĩa Tân",
        ],
    ),
    (
        "ward_committee",
        "Đảng ủy phường Phan Thiết",
        ["Khu phố Đức Thắng", "Khu phố Đức Nghĩa", "Khu phố Lạc Đạo", "Khu phố Bình Hưng"],
    ),
    (
        "commune_committee",
        "Đảng ủy xã Tuy Phong",
        ["Thôn Vĩnh Hảo", "Thôn Liên Hương", "Thôn Phước Thể", "Thôn Phú Lạc"],
    ),
]

AGENCIES = [
    (
        "Đảng ủy các cơ quan Đảng tỉnh",
        "Đảng bộ các cơ quan Đảng",
        [
            "Chi bộ Văn phòng Tỉnh ủy",
            "Chi bộ Ban Tổ chức Tỉnh ủy",
            "Chi bộ Ủy ban Kiểm tra Tỉnh ủy",
            "Chi bộ Báo Lâm Đồng",
        ],
    ),
    (
        "Đảng ủy Ủy ban nhân dân tỉnh",
        "Đảng bộ Ủy ban nhân dân tỉnh",
        [
            "Chi bộ Sở Tài chính",
            "Chi bộ Sở Nội vụ",
            "Chi bộ Sở Giáo dục và Đào tạo",
            "Chi bộ Sở Y tế",
        ],
    ),
    (
        "Đảng ủy Công an tỉnh",
        "Đảng bộ Công an tỉnh",
        [
            "Chi bộ Phòng Tham mưu",
            "Chi bộ Phòng An ninh chính trị nội bộ",
            "Chi bộ Phòng Cảnh sát giao thông",
            "Chi bộ Phòng Hậu cần",
        ],
    ),
]


def province_tree() -> UnitSpec:
    boards = (
        UnitSpec(
            code(0, 0, 1),
            "Ban Thường vụ Tỉnh ủy",
            "standing_committee",
            "BTV",
            "Comité permanent du Comité provincial",
            "Standing Committee of the Provincial Party Committee",
        ),
        UnitSpec(
            code(0, 0, 2),
            "Văn phòng Tỉnh ủy",
            "office",
            "VPTU",
            "Bureau du Comité provincial",
            "Office of the Provincial Party Committee",
        ),
        UnitSpec(
            code(0, 0, 3),
            "Ban Tổ chức Tỉnh ủy",
            "board",
            "BTCTU",
            "Commission de l'organisation",
            "Organization Board",
        ),
        UnitSpec(
            code(0, 0, 4),
            "Ủy ban Kiểm tra Tỉnh ủy",
            "inspection_committee",
            "UBKTTU",
            "Commission d'inspection",
            "Inspection Committee",
        ),
        UnitSpec(
            code(0, 0, 5),
            "Ban Tuyên giáo và Dân vận Tỉnh ủy",
            "board",
            "BTGDVTU",
            "Commission de la propagande et de la mobilisation des masses",
            "Propaganda and Mass Mobilization Board",
        ),
        UnitSpec(
            code(0, 0, 6),
            "Ban Nội chính Tỉnh ủy",
            "board",
            "BNCTU",
            "Commission des affaires intérieures",
            "Internal Affairs Board",
        ),
    )
    communes = tuple(
        UnitSpec(
            code(0, 10 + i, 0),
            name,
            kind,
            "ĐU",
            children=tuple(
                UnitSpec(code(0, 10 + i, 1 + j), f"Chi bộ {cell}", "cell", "CB")
                for j, cell in enumerate(cells)
            ),
        )
        for i, (kind, name, cells) in enumerate(COMMUNES)
    )
    agencies = tuple(
        UnitSpec(
            code(0, 50 + i, 0),
            name,
            "agency_committee",
            "ĐU",
            children=(
                UnitSpec(
                    code(0, 50 + i, 10),
                    f"Đảng ủy cơ sở {short}",
                    "grassroots_committee",
                    "ĐU",
                    children=tuple(
                        UnitSpec(code(0, 50 + i, 11 + j), cell, "cell", "CB")
                        for j, cell in enumerate(cells)
                    ),
                ),
            ),
        )
        for i, (name, short, cells) in enumerate(AGENCIES)
    )
    return UnitSpec(
        code(0, 0, 0),
        "Tỉnh ủy Lâm Đồng",
        "provincial_committee",
        "TU",
        "Comité provincial du Parti de Lâm Đồng",
        "Lâm Đồng Provincial Party Committee",
        children=boards + communes + agencies,
    )


@dataclass(frozen=True)
class NamedAccount:
    username: str
    full_name: str
    unit_code: str
    title: str
    role: str | None
    # Where the role is granted, when not on the unit of the position.
    grant_code: str | None = None


# The accounts the README documents; their usernames are a contract.
NAMED_ACCOUNTS = [
    NamedAccount(
        "admin",
        "Nguyễn Văn Hùng",
        code(0, 0, 2),
        "Trưởng phòng Công nghệ thông tin, Văn phòng Tỉnh ủy",
        "system_admin",
        code(0, 0, 0),
    ),
    NamedAccount(
        "clerk", "Trần Thị Mai", code(0, 0, 2), "Văn thư, Văn phòng Tỉnh ủy", "records_clerk"
    ),
    NamedAccount("leader", "Lê Minh Quang", code(0, 0, 2), "Chánh Văn phòng Tỉnh ủy", "leader"),
    NamedAccount(
        "secretary",
        "Phạm Thu Hằng",
        code(0, 0, 1),
        "Thư ký Ban Thường vụ Tỉnh ủy",
        "meeting_secretary",
    ),
    NamedAccount(
        "member", "Hoàng Văn Nam", code(0, 14, 1), "Đảng viên, Chi bộ Thôn Đạ Nghịt", None
    ),
    NamedAccount(
        "auditor",
        "Vũ Thị Lan",
        code(0, 0, 4),
        "Kiểm tra viên, Ủy ban Kiểm tra Tỉnh ủy",
        "auditor",
        code(0, 0, 0),
    ),
    NamedAccount(
        "unitadmin",
        "Đỗ Quốc Bảo",
        code(0, 10, 0),
        "Chuyên viên Văn phòng Đảng ủy phường Xuân Hương",
        "unit_admin",
    ),
]
