"""The document type catalogue: Decree 30/2020/NĐ-CP Art. 7 and Appendix III (State
abbreviations) and Hướng dẫn 36-HD/VPTW (Party abbreviations). Loaded by a data migration; data,
not code paths — an administrator may add types."""

from __future__ import annotations

from typing import Any

# (code, Vietnamese name, State abbreviation, Party abbreviation)
DOCUMENT_TYPES: list[tuple[str, str, str, str]] = [
    ("nghi_quyet", "Nghị quyết", "NQ", "NQ"),
    ("quyet_dinh", "Quyết định", "QĐ", "QĐ"),
    ("chi_thi", "Chỉ thị", "CT", "CT"),
    ("quy_che", "Quy chế", "QC", "QC"),
    ("quy_dinh", "Quy định", "QYĐ", "QĐi"),
    ("thong_cao", "Thông cáo", "TC", "TC"),
    ("thong_bao", "Thông báo", "TB", "TB"),
    ("huong_dan", "Hướng dẫn", "HD", "HD"),
    ("chuong_trinh", "Chương trình", "CTr", "CTr"),
    ("ke_hoach", "Kế hoạch", "KH", "KH"),
    ("phuong_an", "Phương án", "PA", "PA"),
    ("de_an", "Đề án", "ĐA", "ĐA"),
    ("du_an", "Dự án", "DA", "DA"),
    ("bao_cao", "Báo cáo", "BC", "BC"),
    ("bien_ban", "Biên bản", "BB", "BB"),
    ("to_trinh", "Tờ trình", "TTr", "TTr"),
    ("hop_dong", "Hợp đồng", "HĐ", "HĐ"),
    ("cong_van", "Công văn", "", "CV"),
    ("cong_dien", "Công điện", "CĐ", "CĐ"),
    ("ban_ghi_nho", "Bản ghi nhớ", "BGN", "BGN"),
    ("ban_thoa_thuan", "Bản thỏa thuận", "BTT", "BTT"),
    ("giay_uy_quyen", "Giấy ủy quyền", "GUQ", "GUQ"),
    ("giay_moi", "Giấy mời", "GM", "GM"),
    ("giay_gioi_thieu", "Giấy giới thiệu", "GGT", "GGT"),
    ("giay_nghi_phep", "Giấy nghỉ phép", "GNP", "GNP"),
    ("phieu_gui", "Phiếu gửi", "PG", "PG"),
    ("phieu_chuyen", "Phiếu chuyển", "PC", "PC"),
    ("phieu_bao", "Phiếu báo", "PB", "PB"),
    ("thu_cong", "Thư công", "", ""),
    # Party-only types (Hướng dẫn 36-HD/VPTW).
    ("ket_luan", "Kết luận", "", "KL"),
    ("thong_tri", "Thông tri", "", "TT"),
    ("quy_trinh", "Quy trình", "", "QTr"),
]


def ensure_document_types(model: Any = None) -> None:
    """Create or update the catalogue rows. The data migration passes its historical model;
    tests call it after a flush has emptied the table."""
    if model is None:
        from .models import DocumentType

        model = DocumentType
    for ordering, (code, name, state, party) in enumerate(DOCUMENT_TYPES):
        model.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "state_abbreviation": state,
                "party_abbreviation": party,
                "ordering": ordering,
            },
        )
