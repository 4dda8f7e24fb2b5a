"""A security header report as plain text lines (the command line's ``token inspect``)."""

from __future__ import annotations

from stsdesk.core.wssec.header_report import SecurityHeaderReport

__all__ = ["report_lines"]


def _short(uri: str) -> str:
    return uri.rsplit("#", 1)[-1] if "#" in uri else uri.rsplit("/", 1)[-1]


def report_lines(report: SecurityHeaderReport) -> list[str]:
    """What the header holds, one line each, indented under its part."""
    lines = [f"Message:      {report.soap_version}, Body: {report.body_content}"]
    if report.timestamp_created is not None:
        expires = report.timestamp_expires.isoformat() if report.timestamp_expires else "-"
        lines.append(f"Timestamp:    created {report.timestamp_created.isoformat()}, "
                     f"expires {expires}")
    for token in report.tokens:
        where = f" ({token.element_id})" if token.element_id else ""
        lines.append(f"Token:        {token.kind}: {token.description}{where}")
    for number, signature in enumerate(report.signatures, 1):
        reason = f": {signature.reason}" if signature.reason else ""
        lines.append(f"Signature {number}:  {signature.status.value}{reason}")
        lines.append(f"  signed by   {signature.key}")
        lines.append(f"  algorithms  {_short(signature.method)}, digest "
                     f"{_short(signature.digest)}")
        for covered in signature.covered:
            lines.append(f"  covers      {covered.element} (wsu:Id {covered.element_id})")
    for part in report.encrypted_parts:
        detail = f": {part.content}" if part.content else (f": {part.reason}"
                                                            if part.reason else "")
        lines.append(f"Encrypted:    {part.location}, {part.status.value}{detail}")
        lines.append(f"  algorithm   {_short(part.algorithm)}")
        lines.append(f"  key         {part.key}")
    for value in report.confirmations:
        lines.append(f"Confirmation: {value or '(no value: the request was not signed)'}")
    lines += [f"Problem:      {problem}" for problem in report.problems]
    return lines
