"""edXML (QCVN 102:2016) packages: what we build reads back unchanged, hand-written packages in
the national SDK's layout read correctly, and unsafe or incomplete packages are refused with a
message that says why."""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from secretariat.core.errors import ValidationFailed
from secretariat.exchange import edxml
from secretariat.exchange.edxml import (
    Attachment,
    BusinessInfo,
    Code,
    DocumentMessage,
    EdxmlError,
    Organization,
    ResponseFor,
    Signer,
    StaffInfo,
    StatusMessage,
    TraceHeader,
)

SAMPLES = Path(__file__).parent / "samples"
NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def _document(**changes: object) -> DocumentMessage:
    message = DocumentMessage(
        document_id="000.00.36.H29,2024/05/06,125-QĐ/TU",
        from_=Organization(
            organ_id="000.00.36.H29",
            organ_name="Văn phòng Tỉnh ủy",
            organization_in_charge="Tỉnh ủy Hà Nam",
            organ_add="Số 1 Trường Chinh, Phủ Lý",
            email="vanthu@tinhuy.example.vn",
            telephone="0226 385 2701",
            fax="0226 385 2702",
            website="https://tinhuy.example.vn",
        ),
        to=[
            Organization(organ_id="000.01.36.H29", organ_name="Ban Tổ chức Tỉnh ủy"),
            Organization(organ_id="000.02.36.H29", organ_name="Ủy ban Kiểm tra Tỉnh ủy"),
        ],
        code=Code(number="125", notation="QĐ-TU"),
        place="Hà Nam",
        promulgation_date=date(2024, 5, 6),
        type_code="QĐ",
        type_name="Quyết định",
        subject="Về việc kiện toàn Ban Chỉ đạo chuyển đổi số",
        content="Giao Văn phòng Tỉnh ủy theo dõi, đôn đốc; báo cáo kết quả trước ngày 20/5.",
        signer=Signer(
            competence="TM. Ban Thường vụ",
            position="Phó Bí thư Thường trực",
            full_name="Nguyễn Thị Hồng Hạnh",
        ),
        due_date=date(2024, 5, 20),
        to_places=["Như trên", "Lưu Văn phòng Tỉnh ủy"],
        priority=edxml.PRIORITY_EXPRESS,
        sphere="Lưu hành nội bộ",
        promulgation_amount=15,
        page_amount=3,
        appendixes=["Danh sách thành viên"],
        steering_type=1,
        response_for=ResponseFor(
            organ_id="000.01.36.H29",
            code="48-TTr/BTCTU",
            promulgation_date=date(2024, 4, 25),
            document_id="000.01.36.H29,2024/04/25,48-TTr/BTCTU",
        ),
        trace=[
            TraceHeader(organ_id="000.00.36.H29", timestamp=datetime(2024, 5, 6, 1, 30, tzinfo=UTC))
        ],
        business=BusinessInfo(
            document_type="replace",
            reason="Thay thế do thay đổi nhân sự",
            replaced=["000.00.36.H29,2023/11/02,97-QĐ/TU"],
        ),
        attachments=[
            Attachment(
                content_id="qd125", name="125-QĐ-TU.pdf", content_type="application/pdf", data=PDF
            ),
            Attachment(
                content_id="pl01",
                name="Phụ lục ký số.pdf",
                content_type="application/pdf",
                data=PDF[::-1],
            ),
        ],
    )
    return dataclasses.replace(message, **changes)  # type: ignore[arg-type]


def _status(**changes: object) -> StatusMessage:
    message = StatusMessage(
        response_for=ResponseFor(
            organ_id="000.00.36.H29",
            code="125-QĐ/TU",
            promulgation_date=date(2024, 5, 6),
            document_id="000.00.36.H29,2024/05/06,125-QĐ/TU",
        ),
        from_=Organization(organ_id="000.01.36.H29", organ_name="Ban Tổ chức Tỉnh ủy"),
        status_code=edxml.STATUS_ASSIGNED,
        description="Đã giao Phòng Tổ chức cơ sở đảng xử lý",
        staff=StaffInfo(
            department="Văn thư", staff="Lê Thu Trang", email="trang@example.vn", mobile="0912"
        ),
        timestamp=datetime(2024, 5, 7, 7, 15, 30, tzinfo=UTC),
    )
    return dataclasses.replace(message, **changes)  # type: ignore[arg-type]


def _refused(data: bytes) -> str:
    with pytest.raises(EdxmlError) as caught:
        edxml.parse(data)
    return str(caught.value.message)


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


# --- round trips ----------------------------------------------------------------------------


def test_a_document_with_two_attachments_reads_back_unchanged() -> None:
    message = _document()

    parsed = edxml.parse(edxml.build_document(message))

    assert parsed == message
    assert isinstance(parsed, DocumentMessage)
    assert parsed.attachments[0].data == PDF
    assert parsed.subject == "Về việc kiện toàn Ban Chỉ đạo chuyển đổi số"


def test_a_status_message_reads_back_unchanged() -> None:
    message = _status()

    assert edxml.parse(edxml.build_status(message)) == message


def test_dates_priority_and_a_non_utc_time_survive_the_trip() -> None:
    hanoi_evening = datetime.fromisoformat("2024-12-31T23:59:59+07:00")
    message = _document(
        promulgation_date=date(2024, 2, 29),
        due_date=None,
        priority=edxml.PRIORITY_URGENT,
        trace=[TraceHeader(organ_id="000.00.36.H29", timestamp=hanoi_evening)],
    )

    parsed = edxml.parse(edxml.build_document(message))

    assert isinstance(parsed, DocumentMessage)
    assert parsed.promulgation_date == date(2024, 2, 29)
    assert parsed.due_date is None
    assert parsed.priority == 1
    assert parsed.trace[0].timestamp == datetime(2024, 12, 31, 16, 59, 59, tzinfo=UTC)
    assert parsed.trace[0].timestamp.tzinfo == UTC


def test_the_output_declares_utf8_and_the_standards_namespace() -> None:
    data = edxml.build_document(_document())

    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "Nguyễn Thị Hồng Hạnh".encode() in data
    root = etree.fromstring(data)
    assert root.tag == f"{{{NS}}}edXML"
    assert root[0].tag == f"{{{NS}}}edXMLEnvelope"
    assert root[0].prefix == "edXML"
    assert root.find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader/{{{NS}}}MessageHeader") is not None
    header = root.find(f".//{{{NS}}}Bussiness/{{{NS}}}BussinessDocType")
    assert header is not None
    assert header.text == "2"
    encoded = root.find(
        f"{{{NS}}}AttachmentEncoded/{{{NS}}}Attachment/{{{NS}}}ContentTransferEncoded"
    )
    assert encoded is not None
    assert base64.b64decode(encoded.text or "") == PDF


def test_a_ten_megabyte_attachment_goes_through() -> None:
    big = bytes(range(256)) * (10 * 1024 * 1024 // 256)
    message = _document(
        attachments=[Attachment(content_id="a", name="big.pdf", content_type="x", data=big)]
    )

    parsed = edxml.parse(edxml.build_document(message))

    assert isinstance(parsed, DocumentMessage)
    assert parsed.attachments[0].data == big


def test_building_refuses_what_the_receiver_would_refuse() -> None:
    with pytest.raises(EdxmlError, match="no recipient"):
        edxml.build_document(_document(to=[]))
    with pytest.raises(EdxmlError, match="Unknown status code"):
        edxml.build_status(_status(status_code="99"))
    with pytest.raises(EdxmlError, match="cannot carry"):
        edxml.build_document(_document(subject="Trích yếu\x00"))


# --- hand-written samples -------------------------------------------------------------------


def test_the_hand_written_document_sample_reads_field_by_field() -> None:
    message = edxml.parse(_sample("document.edxml"))

    assert isinstance(message, DocumentMessage)
    assert message.document_id == "000.00.36.H29,2024/05/06,125-QĐ/TU"
    assert message.from_ == Organization(
        organ_id="000.00.36.H29",
        organization_in_charge="Tỉnh ủy Hà Nam",
        organ_name="Văn phòng Tỉnh ủy",
        organ_add="Số 1 đường Trường Chinh, Phủ Lý",
        email="vanthu@tinhuy.example.vn",
        telephone="0226 385 2701",
        fax="0226 385 2702",
        website="https://tinhuy.example.vn",
    )
    assert message.to == [
        Organization(
            organ_id="000.01.36.H29",
            organization_in_charge="Tỉnh ủy Hà Nam",
            organ_name="Ban Tổ chức Tỉnh ủy",
        ),
        Organization(organ_id="000.02.36.H29", organ_name="Ủy ban Kiểm tra Tỉnh ủy"),
    ]
    assert message.code == Code(number="125", notation="QĐ-TU")
    assert message.place == "Hà Nam"
    assert message.promulgation_date == date(2024, 5, 6)
    assert (message.type_code, message.type_name) == ("QĐ", "Quyết định")
    assert message.subject == "Về việc kiện toàn Ban Chỉ đạo chuyển đổi số"
    assert message.content == "Kiện toàn Ban Chỉ đạo; giao Văn phòng Tỉnh ủy theo dõi, đôn đốc."
    assert message.signer == Signer(
        competence="TM. Ban Thường vụ",
        position="Phó Bí thư Thường trực",
        full_name="Nguyễn Thị Hồng Hạnh",
    )
    assert message.due_date == date(2024, 5, 20)
    assert message.to_places == ["Như trên", "Lưu Văn phòng Tỉnh ủy"]
    assert message.priority == edxml.PRIORITY_VERY_URGENT
    assert message.sphere == "Lưu hành nội bộ"
    assert message.promulgation_amount == 15
    assert message.page_amount == 3
    assert message.appendixes == ["Danh sách thành viên Ban Chỉ đạo"]
    assert message.steering_type == 1
    assert message.response_for == ResponseFor(
        organ_id="000.01.36.H29",
        code="48-TTr/BTCTU",
        promulgation_date=date(2024, 4, 25),
        document_id="000.01.36.H29,2024/04/25,48-TTr/BTCTU",
    )
    assert message.trace == [
        # 08:30 in Vietnam is 01:30 UTC; the relay wrote ISO 8601 in UTC.
        TraceHeader(organ_id="000.00.36.H29", timestamp=datetime(2024, 5, 6, 1, 30, tzinfo=UTC)),
        TraceHeader(
            organ_id="000.00.00.G22", timestamp=datetime(2024, 5, 6, 1, 31, 15, tzinfo=UTC)
        ),
    ]
    assert message.business == BusinessInfo(
        document_type="replace",
        reason="Thay thế Quyết định số 97-QĐ/TU do thay đổi nhân sự",
        replaced=["000.00.36.H29,2023/11/02,97-QĐ/TU"],
    )
    assert message.attachments == [
        Attachment(
            content_id="5e0c2b7a-qd125",
            name="125-QĐ-TU.pdf",
            content_type="application/pdf",
            data=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n",
        ),
        Attachment(
            content_id="5e0c2b7a-pl01",
            name="Phụ lục danh sách.bin",
            content_type="application/octet-stream",
            data=bytes(range(256)),
        ),
    ]


def test_the_hand_written_status_sample_reads_field_by_field() -> None:
    message = edxml.parse(_sample("status.edxml"))

    assert message == StatusMessage(
        response_for=ResponseFor(
            organ_id="000.00.36.H29",
            code="125-QĐ/TU",
            promulgation_date=date(2024, 5, 6),
            document_id="000.00.36.H29,2024/05/06,125-QĐ/TU",
        ),
        from_=Organization(
            organ_id="000.01.36.H29",
            organ_name="Ban Tổ chức Tỉnh ủy",
            email="btc@tinhuy.example.vn",
        ),
        status_code=edxml.STATUS_ACCEPTED,
        description="Đã tiếp nhận, vào sổ văn bản đến số 312",
        staff=StaffInfo(
            department="Văn thư cơ quan",
            staff="Lê Thu Trang",
            email="trang.lt@tinhuy.example.vn",
            mobile="0912 345 678",
        ),
        timestamp=datetime(2024, 5, 7, 7, 15, 30, tzinfo=UTC),
    )
    assert str(edxml.STATUS_LABELS[message.status_code]) == "Accepted"


def test_a_one_digit_status_code_and_a_day_first_date_are_understood() -> None:
    data = (
        _sample("status.edxml")
        .replace(b">03<", b">6<")
        .replace(b"<edXML:PromulgationDate>2024/05/06", b"<edXML:PromulgationDate>06/05/2024")
    )

    message = edxml.parse(data)

    assert isinstance(message, StatusMessage)
    assert message.status_code == edxml.STATUS_DONE
    assert message.response_for.promulgation_date == date(2024, 5, 6)


# --- refusals -------------------------------------------------------------------------------


def test_an_external_entity_is_refused() -> None:
    data = _sample("status.edxml").replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    )
    data = data.replace("Lê Thu Trang".encode(), b"&xxe;")

    assert "DTD" in _refused(data)


def test_entity_expansion_is_refused() -> None:
    laughs = b"".join(
        b'<!ENTITY l%d "&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;">' % ((i, *[i - 1] * 10))
        for i in range(1, 10)
    )
    data = b'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY l0 "lol">' + laughs + b"]>"
    data += b'<edXML xmlns="' + NS.encode() + b'">&l9;</edXML>'

    assert "DTD" in _refused(data)


def test_a_utf16_package_smuggling_a_dtd_is_refused() -> None:
    text = _sample("status.edxml").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    text = text.replace("<edXML:edXML ", '<!DOCTYPE x [<!ENTITY e "boom">]><edXML:edXML ', 1)

    assert "not well-formed" in _refused(text.encode("utf-16"))


def test_another_namespace_is_refused() -> None:
    data = _sample("status.edxml").replace(NS.encode(), b"http://www.e-doc.vn/Schema/")

    assert "namespace" in _refused(data)


def test_a_document_without_document_id_is_refused() -> None:
    data = _sample("document.edxml").replace(
        b"<edXML:DocumentId>000.00.36.H29,2024/05/06,125-Q\xc4\x90/TU</edXML:DocumentId>", b""
    )

    assert "document identifier" in _refused(data)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "<edXML:Subject>Về việc kiện toàn Ban Chỉ đạo chuyển đổi số<".encode(),
            b"<edXML:Subject> \n <",
            "subject",
        ),
        (b"<edXML:CodeNumber>125", b"<edXML:CodeNumber>", "number"),
        (
            b"<edXML:OrganId>000.00.36.H29</edXML:OrganId>\n          <edXML:Organization",
            b"<edXML:Organization",
            "sending organization",
        ),
        (b"<edXML:Priority>2", b"<edXML:Priority>7", "urgency"),
        (b"<edXML:BussinessDocType>2", b"<edXML:BussinessDocType>9", "business document"),
        (b"<edXML:Subject>", b"<edXML:Subject>x</edXML:Subject><edXML:Subject>", "twice"),
    ],
)
def test_a_document_missing_or_garbling_a_required_field_is_refused(
    old: bytes, new: bytes, expected: str
) -> None:
    data = _sample("document.edxml")
    assert old in data

    assert expected in _refused(data.replace(old, new, 1))


def test_a_document_without_recipient_is_refused() -> None:
    data = edxml.build_document(_document())
    root = etree.fromstring(data)
    head = root.find(f".//{{{NS}}}MessageHeader")
    assert head is not None
    for recipient in head.findall(f"{{{NS}}}To"):
        head.remove(recipient)

    assert "no recipient" in _refused(etree.tostring(root))


def test_an_attachment_listed_but_not_included_is_refused() -> None:
    start = b"<Attachment>\n      <ContentId>5e0c2b7a-pl01"
    data = _sample("document.edxml")
    cut_from = data.index(start)
    cut_to = data.index(b"</Attachment>", cut_from) + len(b"</Attachment>")

    assert "5e0c2b7a-pl01" in _refused(data[:cut_from] + data[cut_to:])


def test_an_attachment_not_in_the_manifest_is_refused() -> None:
    smuggled = b"<Attachment><ContentId>smuggled</ContentId><ContentTransferEncoded>"
    smuggled += base64.b64encode(b"MZ\x90\x00") + b"</ContentTransferEncoded></Attachment>"
    data = _sample("document.edxml").replace(
        b"</AttachmentEncoded>", smuggled + b"</AttachmentEncoded>"
    )

    assert "“smuggled” is not listed" in _refused(data)


def test_duplicate_content_ids_are_refused() -> None:
    data = _sample("document.edxml").replace(b"5e0c2b7a-pl01", b"5e0c2b7a-qd125")

    assert "same content identifier" in _refused(data)


def test_invalid_base64_is_refused() -> None:
    data = _sample("document.edxml").replace(b"JVBERi0xLjQK", b"JVBERi0x*jQK")

    assert "125-QĐ-TU.pdf" in _refused(data)
    assert "base64" in _refused(data)


@pytest.mark.parametrize(
    "encoded",
    [
        b"",
        b"TWFu",
        b"TWE=",
        b"TQ==",
        b"TWFuTWE=",
        b"TW\nFu\r\n TQ==\t",
        b"TQ",
        b"TQ=",
        b"TQ===",
        b"=TWF",
        b"TQ==TWFu",
        b"T=Fu",
        b"TW=u",
        b"TWF*",
        b"TWF\xc3\xa9",
        b"TWFuT",
        b"====",
        b"TWFu=",
        b"TWFu===",
    ],
)
def test_checking_attachments_without_decoding_accepts_exactly_what_decoding_does(
    encoded: bytes,
) -> None:
    sample = _sample("document.edxml")
    whole = sample.split(b"<ContentTransferEncoded>", 1)[1].split(b"<", 1)[0]
    data = sample.replace(whole, encoded, 1)
    refused: object = None
    try:
        decoded = edxml.parse(data)
    except EdxmlError as error:
        refused = error.message
    if refused is not None:
        with pytest.raises(EdxmlError) as caught:
            edxml.parse(data, decode=False)
        assert caught.value.message == refused
        return
    checked = edxml.parse(data, decode=False)
    assert isinstance(checked, DocumentMessage)
    assert isinstance(decoded, DocumentMessage)
    assert [attachment.data for attachment in checked.attachments] == [b""] * len(
        decoded.attachments
    )
    assert dataclasses.replace(checked, attachments=[]) == dataclasses.replace(
        decoded, attachments=[]
    )


def test_the_base64_check_agrees_with_the_decoder_on_every_short_string() -> None:
    import binascii
    import itertools

    for length in range(10):
        for letters in itertools.product(b"AQ=*", repeat=length):
            encoded = bytes(letters)
            try:
                base64.b64decode(encoded, validate=True)
                valid = True
            except binascii.Error:
                valid = False
            try:
                edxml._check_base64(encoded)
                checked = True
            except binascii.Error:
                checked = False
            assert checked == valid, encoded


def test_too_many_attachments_are_refused() -> None:
    data = edxml.build_document(_document())

    with pytest.raises(EdxmlError, match="more than 1 attachments"):
        edxml.parse(data, max_attachments=1)


@pytest.mark.parametrize("bad", [b"2024/02/30", b"06-05-24", b"h\xc3\xb4m qua", b"2024/5/6 8h"])
def test_a_bad_date_is_refused(bad: bytes) -> None:
    data = _sample("document.edxml").replace(b"2024/05/20", bad)

    assert "DueDate is not a date" in _refused(data)


def test_a_bad_timestamp_is_refused() -> None:
    data = _sample("status.edxml").replace(b"2024/05/07 14:15:30", b"2024/05/07 25:15:30")

    assert "Timestamp is not a time" in _refused(data)


def test_an_unknown_status_code_is_refused() -> None:
    data = _sample("status.edxml").replace(b">03<", b">42<")

    assert "Unknown status code “42”" in _refused(data)


def test_a_status_without_the_document_it_answers_is_refused() -> None:
    data = _sample("status.edxml").replace(
        b"<edXML:DocumentId>000.00.36.H29,2024/05/06,125-Q\xc4\x90/TU</edXML:DocumentId>", b""
    )

    assert "which document" in _refused(data)


@pytest.mark.parametrize(
    "data", [b"", b"   \n", b"%PDF-1.7 not xml", b"<edXML xmlns='x'", b'{"json": true}']
)
def test_what_is_not_xml_at_all_is_refused(data: bytes) -> None:
    message = _refused(data)

    assert "empty" in message or "not well-formed" in message


def test_the_error_is_a_validation_failure_the_views_answer_with_400() -> None:
    with pytest.raises(ValidationFailed) as caught:
        edxml.parse(b"")

    assert caught.value.status == 400
    assert caught.value.as_dict()["message"] == "The package is empty."
