"""The fixed code lists of the Party member registry.

They are the report dimensions: each is a short code kept in a plain, indexed column, so the
statutory reports count members by ethnicity, religion, education or theory level with one SQL
`GROUP BY`, while every free-text detail that could identify a person stays sealed (see
`sealing.py` and docs/members.md). Codes are stored; labels are translated when shown.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Gender(models.TextChoices):
    MALE = "male", pgettext_lazy("gender", "Male")
    FEMALE = "female", pgettext_lazy("gender", "Female")


class Ethnicity(models.TextChoices):
    """Vietnam's 54 ethnic groups in the order and with the codes of the General Statistics
    Office list (Decision 121-TCTK/PPCĐ of 1979): proper names, not translated. `99` is anyone
    else (a foreign-born member, an unlisted group); the detail, if any, is sealed."""

    KINH = "01", "Kinh"
    TAY = "02", "Tày"
    THAI = "03", "Thái"
    HOA = "04", "Hoa"
    KHMER = "05", "Khơ-me"
    MUONG = "06", "Mường"
    NUNG = "07", "Nùng"
    HMONG = "08", "Hmông"
    DAO = "09", "Dao"
    GIA_RAI = "10", "Gia-rai"
    NGAI = "11", "Ngái"
    E_DE = "12", "Ê-đê"
    BA_NA = "13", "Ba-na"
    XO_DANG = "14", "Xơ-đăng"
    SAN_CHAY = "15", "Sán Chay"
    CO_HO = "16", "Cơ-ho"
    CHAM = "17", "Chăm"
    SAN_DIU = "18", "Sán Dìu"
    HRE = "19", "Hrê"
    MNONG = "20", "Mnông"
    RA_GLAI = "21", "Ra-glai"
    XTIENG = "22", "Xtiêng"
    BRU_VAN_KIEU = "23", "Bru-Vân Kiều"
    THO = "24", "Thổ"
    GIAY = "25", "Giáy"
    CO_TU = "26", "Cơ-tu"
    GIE_TRIENG = "27", "Gié-Triêng"
    MA = "28", "Mạ"
    KHO_MU = "29", "Khơ-mú"
    CO = "30", "Co"
    TA_OI = "31", "Tà-ôi"
    CHO_RO = "32", "Chơ-ro"
    KHANG = "33", "Kháng"
    XINH_MUN = "34", "Xinh-mun"
    HA_NHI = "35", "Hà Nhì"
    CHU_RU = "36", "Chu-ru"
    LAO = "37", "Lào"
    LA_CHI = "38", "La Chí"
    LA_HA = "39", "La Ha"
    PHU_LA = "40", "Phù Lá"
    LA_HU = "41", "La Hủ"
    LU = "42", "Lự"
    LO_LO = "43", "Lô Lô"
    CHUT = "44", "Chứt"
    MANG = "45", "Mảng"
    PA_THEN = "46", "Pà Thẻn"
    CO_LAO = "47", "Co Lao"
    CONG = "48", "Cống"
    BO_Y = "49", "Bố Y"
    SI_LA = "50", "Si La"
    PU_PEO = "51", "Pu Péo"
    BRAU = "52", "Brâu"
    O_DU = "53", "Ơ-đu"
    RO_MAM = "54", "Rơ-măm"
    OTHER = "99", _("Other")


class Religion(models.TextChoices):
    """The religions counted in the statutory reports; `other` covers the remaining recognized
    organizations (the name, if given, is sealed)."""

    NONE = "none", _("None")
    BUDDHISM = "buddhism", _("Buddhism")
    CATHOLICISM = "catholicism", _("Catholicism")
    PROTESTANTISM = "protestantism", _("Protestantism")
    CAODAISM = "caodaism", _("Cao Đài")
    HOA_HAO = "hoa_hao", _("Hòa Hảo Buddhism")
    ISLAM = "islam", _("Islam")
    BRAHMANISM = "brahmanism", _("Brahmanism")
    OTHER = "other", _("Other religion")


class Degree(models.TextChoices):
    """Highest professional qualification (trình độ chuyên môn)."""

    NONE = "none", _("None")
    ELEMENTARY = "elementary", _("Elementary vocational (sơ cấp)")
    INTERMEDIATE = "intermediate", _("Intermediate (trung cấp)")
    COLLEGE = "college", _("College (cao đẳng)")
    BACHELOR = "bachelor", _("University (đại học)")
    MASTER = "master", _("Master (thạc sĩ)")
    DOCTORATE = "doctorate", _("Doctorate (tiến sĩ)")


class AcademicTitle(models.TextChoices):
    NONE = "none", _("None")
    ASSOCIATE_PROFESSOR = "associate_professor", _("Associate professor (phó giáo sư)")
    PROFESSOR = "professor", _("Professor (giáo sư)")


class TheoryLevel(models.TextChoices):
    """Political theory level (lý luận chính trị)."""

    NONE = "none", _("None")
    ELEMENTARY = "elementary", _("Elementary (sơ cấp)")
    INTERMEDIATE = "intermediate", _("Intermediate (trung cấp)")
    ADVANCED = "advanced", _("Advanced (cao cấp)")
    BACHELOR = "bachelor", _("Bachelor (cử nhân)")


class IncomeType(models.TextChoices):
    """What a member's monthly dues are computed from (Quy định 342-QĐ/TW of 2010
    **[unverified]**); the rate itself is a `DuesRule`."""

    SALARIED = "salaried", _("Salaried (share of salary)")
    PENSIONER = "pensioner", _("Pensioner (share of pension)")
    STUDENT = "student", _("Student")
    NO_FIXED_INCOME = "no_fixed_income", _("No fixed income (farmer, self-employed…)")
    ABROAD = "abroad", _("Working or studying abroad")
    OTHER = "other", _("Other")


class EventKind(models.TextChoices):
    """The dated life-cycle events a member's status is derived from (see `lifecycle.py`)."""

    CANDIDATE = "candidate", _("Introduced as a candidate (quần chúng ưu tú)")
    ADMISSION = "admission", _("Admission (kết nạp)")
    OFFICIAL = "official", _("Official membership recognized (công nhận chính thức)")
    TRANSFER_OFFICIAL = "transfer_official", _("Official transfer of Party activity")
    TRANSFER_WITHIN = "transfer_within", _("Transfer within the Party committee")
    TRANSFER_TEMPORARY = "transfer_temporary", _("Temporary transfer of Party activity")
    TEMPORARY_END = "temporary_end", _("End of temporary activity elsewhere")
    TRANSFER_OUT = "transfer_out", _("Transfer out of this node")
    TRANSFER_IN = "transfer_in", _("Transfer in from outside this node")
    UNIT_REORGANIZED = "unit_reorganized", _("Cell reorganized (merged into another unit)")
    EXEMPTION = "exemption", _("Exemption from Party activities (miễn sinh hoạt)")
    EXEMPTION_END = "exemption_end", _("End of exemption from activities")
    LEAVING = "leaving", _("Leaving the Party (ra khỏi Đảng)")
    REMOVAL = "removal", _("Removal from the Party rolls (xóa tên)")
    EXPULSION = "expulsion", _("Expulsion (khai trừ)")
    DEATH = "death", _("Death (từ trần)")
    RESTORATION = "restoration", _("Restoration of membership (phục hồi đảng tịch)")
    READMISSION = "readmission", _("Re-admission (kết nạp lại)")


# Transfers that move the member's official unit inside this node; the receiving unit confirms.
INTERNAL_TRANSFERS = frozenset({EventKind.TRANSFER_OFFICIAL, EventKind.TRANSFER_WITHIN})
# Every transfer that waits for a confirmation before it takes effect.
CONFIRMED_TRANSFERS = INTERNAL_TRANSFERS | {EventKind.TRANSFER_TEMPORARY, EventKind.TRANSFER_OUT}


class Status(models.TextChoices):
    """A member's standing, derived from the events, never typed in. Exemption, temporary
    activity elsewhere and a pending transfer are separate flags on top of it (an exempted
    official member is still an official member in every count)."""

    UNRECORDED = "unrecorded", _("No life-cycle event yet")
    CANDIDATE = "candidate", _("Candidate (quần chúng)")
    PROBATIONARY = "probationary", _("Probationary member (đảng viên dự bị)")
    OFFICIAL = "official", _("Official member (đảng viên chính thức)")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out of this node")
    LEFT = "left", _("Left the Party")
    REMOVED = "removed", _("Removed from the rolls")
    EXPELLED = "expelled", _("Expelled")
    DECEASED = "deceased", _("Deceased")


# The members counted as Party members of their unit (reports, dues, probation).
MEMBER_STATUSES = (Status.PROBATIONARY, Status.OFFICIAL)
# Out of the Party, but restorable or re-admissible.
OUT_STATUSES = (Status.LEFT, Status.REMOVED, Status.EXPELLED)


class Rating(models.TextChoices):
    """Annual quality rating of a Party member (four levels)."""

    EXCELLENT = "excellent", _("Excellently completed duties (HTXSNV)")
    GOOD = "good", _("Well completed duties (HTTNV)")
    COMPLETED = "completed", _("Completed duties (HTNV)")
    NOT_COMPLETED = "not_completed", _("Did not complete duties (KHTNV)")


class RewardKind(models.TextChoices):
    PARTY_BADGE = "party_badge", _("Party membership badge (huy hiệu Đảng)")
    HONORARY_TITLE = "honorary_title", _("Honorary title")
    ORDER_OR_MEDAL = "order_or_medal", _("Order or medal (huân, huy chương)")
    CERTIFICATE_OF_MERIT = "certificate_of_merit", _("Certificate of merit (bằng khen)")
    COMMENDATION = "commendation", _("Commendation (giấy khen)")
    OTHER = "other", _("Other reward")


# Party badges exist for these numbers of years of membership.
BADGE_YEARS = (30, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90)


class DisciplineForm(models.TextChoices):
    """Disciplinary forms for a Party member (Party Charter Art. 35); expulsion also ends the
    membership (it records an `EXPULSION` event)."""

    REPRIMAND = "reprimand", _("Reprimand (khiển trách)")
    WARNING = "warning", _("Warning (cảnh cáo)")
    DISMISSAL = "dismissal", _("Dismissal from post (cách chức)")
    EXPULSION = "expulsion", _("Expulsion (khai trừ)")


class ReviewKind(models.TextChoices):
    """The two forms of the file for official membership (Party Charter Art. 5; Hướng dẫn
    01-HD/TW **[unverified form numbers]**): the probationary member's self-review and the
    comment of the official member assigned to help them."""

    SELF_REVIEW = "self_review", _("Self-review of the probationary member (bản tự kiểm điểm)")
    HELPER_COMMENT = (
        "helper_comment",
        _("Comment of the helping official member (bản nhận xét của đảng viên giúp đỡ)"),
    )
