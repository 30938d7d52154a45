"""The thresholds of the photo checks and the scores they judge; free of OpenCV, so the CLI can show the defaults."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PhotoChecks(BaseModel):
    """Thresholds of the photo checks; the defaults suit a phone photo of a headstone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    measure_side: int = Field(640, ge=64, description="longer side, in pixels, the measures are taken at")
    min_sharpness: float = Field(100.0, ge=0, description="variance of the Laplacian below which a photo is blurred")
    max_clipped: float = Field(0.25, ge=0, le=1, description="share of black (or white) pixels that is too dark")
    min_side: int = Field(1000, ge=1, description="shorter side, in pixels, below which a photo is too small")
    duplicate_distance: int = Field(6, ge=0, le=64, description="dHash bits two photos may differ by and be one")


class PhotoScores(BaseModel):
    """What the checks measured on one photo (width and height as seen, after the EXIF orientation)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    width: int = 0
    height: int = 0
    orientation: int = 1
    sharpness: float = 0.0
    dark_share: float = 0.0
    bright_share: float = 0.0
    dhash: str = ""
    readable: bool = True

    def problems(self, checks: PhotoChecks) -> tuple[str, ...]:
        """What is wrong with the photo by these thresholds, in a fixed order; empty for a good photo."""
        if not self.readable:
            return ("unreadable",)
        found = {
            "blurred": self.sharpness < checks.min_sharpness,
            "dark": self.dark_share > checks.max_clipped,
            "bright": self.bright_share > checks.max_clipped,
            "small": min(self.width, self.height) < checks.min_side,
        }
        return tuple(name for name, failed in found.items() if failed)
