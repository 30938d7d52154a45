"""The fonts of an official document (GB/T 9704-2012 house style) and the Noto CJK fonts used when they are absent.

The official fonts are proprietary and rarely installed on a Linux server; fontconfig is asked which Chinese
families exist (``fc-list :lang=zh family``). A missing one is replaced by Noto Serif CJK SC (the serif roles) or
Noto Sans CJK SC (黑体), and the caller warns, naming what was missing.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import cache

from streamkit.media.runner import run_tool

# Each official font with the other names fontconfig may list it under.
OFFICIAL = {
    "仿宋_GB2312": ("仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong"),
    "方正小标宋简体": ("方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05S"),
    "黑体": ("黑体", "SimHei"),
    "楷体_GB2312": ("楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi"),
    "宋体": ("宋体", "SimSun"),
}
SERIF = "Noto Serif CJK SC"
SANS = "Noto Sans CJK SC"
FALLBACK = {"仿宋_GB2312": SERIF, "方正小标宋简体": SERIF, "黑体": SANS, "楷体_GB2312": SERIF, "宋体": SERIF}


@dataclass(frozen=True)
class ReportFonts:
    """The family each part of the document is set in."""

    body: str  # 仿宋_GB2312 三号
    title: str  # 方正小标宋简体 二号
    heading1: str  # 黑体 三号
    heading2: str  # 楷体_GB2312 三号
    page_number: str  # 宋体 四号
    missing: tuple[str, ...] = ()  # official fonts not installed, replaced by Noto CJK

    def warning(self) -> str | None:
        if not self.missing:
            return None
        return (
            f"official fonts not installed: {', '.join(self.missing)}; "
            f"the report uses {SERIF} / {SANS} instead (install them and run again for the official look)"
        )


@cache
def installed_chinese_families() -> frozenset[str]:
    """Every family name fontconfig lists for Chinese (each line may give several names, comma separated)."""
    try:
        done = run_tool(["fc-list", ":lang=zh", "family"], timeout_s=10)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return frozenset()
    names: set[str] = set()
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        names.update(part.strip().replace("\\-", "-") for part in line.split(",") if part.strip())
    return frozenset(names)


def choose_fonts(installed: frozenset[str] | set[str]) -> ReportFonts:
    """The official fonts where installed, Noto CJK for the rest."""
    chosen: dict[str, str] = {}
    missing = []
    for official, names in OFFICIAL.items():
        found = next((name for name in names if name in installed), None)
        if found is not None:  # the name this machine knows it by, so the document shows it
            chosen[official] = found
        else:
            chosen[official] = FALLBACK[official]
            missing.append(official)
    return ReportFonts(
        body=chosen["仿宋_GB2312"],
        title=chosen["方正小标宋简体"],
        heading1=chosen["黑体"],
        heading2=chosen["楷体_GB2312"],
        page_number=chosen["宋体"],
        missing=tuple(missing),
    )
