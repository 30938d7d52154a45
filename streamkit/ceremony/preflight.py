"""``ceremony check``: everything that can be known before going on air, every problem reported at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from streamkit.ceremony.overlay_feed import roll_entries
from streamkit.ceremony.rundown import LowerThirdCue, Rundown, cue_target
from streamkit.config.settings import Settings
from streamkit.errors import ConfigError, MediaError, ObsError, StreamkitError
from streamkit.fonts import find_font
from streamkit.obs.client import ObsClient, ObsConnection, ObsRequest
from streamkit.obs.scenes import ImageSource, SceneCollection, media_files
from streamkit.register import ROLL_PREFIX

# generous recording budget: the x264 profile streams well under this, and a full disk ends a recording silently
RECORD_BUDGET_MBIT_S = 6.0


@dataclass
class PreflightReport:
    facts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def preflight(
    rundown: Rundown, settings: Settings, scene_paths: list[Path], connection: ObsConnection, *, rehearsal: bool = False
) -> PreflightReport:
    """Everything ``ceremony check`` checks, offline and against OBS (read only: nothing is started or switched)."""
    present = [p for p in scene_paths if p.exists()]
    collection, scene_problems = load_scene_files(present) if present else (None, [])
    report = check_offline(rundown, settings, collection, rehearsal=rehearsal)
    report.problems = scene_problems + report.problems
    await check_obs(rundown, connection, report)
    return report


def check_offline(
    rundown: Rundown, settings: Settings, scenes: SceneCollection | None, *, rehearsal: bool = False
) -> PreflightReport:
    """Checks that need no OBS: stream target and key (not for a rehearsal), fonts, media files, the register."""
    from streamkit.media.probe import probe

    report = PreflightReport()
    if rundown.stream_target is not None and not rehearsal:
        target = settings.targets.get(rundown.stream_target)
        if target is None:
            known = ", ".join(sorted(settings.targets)) or "none"
            report.problems.append(f"stream target {rundown.stream_target!r} is not in settings (known: {known})")
        else:
            if not target.url.startswith(("rtmp://", "rtmps://")):
                report.problems.append(f"stream target {rundown.stream_target!r}: url must start with rtmp://")
            if target.key is None or not target.key.get_secret_value():
                report.problems.append(
                    f"stream target {rundown.stream_target!r} has no key; set "
                    f"STREAMKIT_TARGETS__{rundown.stream_target.upper()}__KEY"
                )
            else:
                report.facts.append(f"stream target {rundown.stream_target}: {target.url} (key set)")
    font = find_font(settings.media.cjk_font_family)
    if font is None:
        report.problems.append(
            f"no CJK font for overlays ({settings.media.cjk_font_family}); apt-get install fonts-noto-cjk"
        )
    else:
        report.facts.append(f"overlay font: {font.family}")
    report.problems += _lower_third_problems(rundown)
    media_root = settings.obs.media_root
    if scenes is not None:
        for name, path in media_files(scenes, media_root):
            if not path.exists():
                report.problems.append(f"source {name!r}: media file {path} does not exist")
                continue
            if isinstance(scenes.source(name), ImageSource):
                continue
            try:
                probe(path)
            except MediaError as exc:
                report.problems.append(f"source {name!r}: {exc}")
    if rundown.name_roll is not None and str(rundown.name_roll).startswith(ROLL_PREFIX):
        try:
            roll_entries(rundown.name_roll, media_root, settings.web.database_url)
        except StreamkitError as exc:
            report.problems.append(f"name_roll: {exc}")
    elif rundown.name_roll is not None:
        register = rundown.name_roll if rundown.name_roll.is_absolute() else media_root / rundown.name_roll
        if not register.exists():
            report.problems.append(f"name_roll register {register} does not exist")
    return report


def _lower_third_problems(rundown: Rundown) -> list[str]:
    """Draw every lower-third once now: a missing glyph or a text that does not fit shows up before air time."""
    from streamkit import overlays

    found = []
    for segment in rundown.segments:
        for cue in segment.cues:
            if isinstance(cue, LowerThirdCue):
                try:
                    overlays.render_lower_third(cue.lower_third.name, cue.lower_third.detail or None, size=(640, 360))
                except StreamkitError as exc:
                    found.append(f"segment {segment.name!r}: lower-third {cue.lower_third.name!r}: {exc}")
    return found


async def check_obs(rundown: Rundown, connection: ObsConnection, report: PreflightReport) -> None:
    """Checks against the running OBS: version, scenes, every source a cue needs, disk space."""
    try:
        async with ObsClient(connection, heartbeat_s=0, reconnect=False) as client:
            state = client.state
            report.facts.append(f"OBS {state.obs_version}, obs-websocket {state.websocket_version} at {connection.url}")
            if not state.supports("CreateRecordChapter"):
                report.facts.append("this OBS has no CreateRecordChapter: chapters come from the as-run log")
            needed = {s.scene for s in rundown.segments} | {rundown.standby_scene}
            missing = sorted(needed - set(state.scenes))
            report.problems += [f"scene {name!r} is not in OBS (run 'streamkit obs apply scenes/')" for name in missing]
            present = sorted(needed & set(state.scenes))
            lists = await client.batch([ObsRequest("GetSceneItemList", {"sceneName": n}) for n in present])
            items = {
                n: {str(i["sourceName"]) for i in r.get("sceneItems", [])} for n, r in zip(present, lists, strict=True)
            }
            for segment in rundown.segments:
                wanted = [cue_target(c) for c in segment.cues] + ([segment.countdown] if segment.countdown else [])
                for source in wanted:
                    if segment.scene in items and source not in items[segment.scene]:
                        report.problems.append(
                            f"segment {segment.name!r}: source {source!r} is not in scene {segment.scene!r}"
                        )
            stats = await client.call("GetStats")
            free_mb = float(stats.get("availableDiskSpace", 0))
            need_mb = rundown.planned_ms / 1000 * RECORD_BUDGET_MBIT_S / 8 * 1.5 if rundown.record else 0.0
            report.facts.append(f"disk free {free_mb / 1024:.1f} GB; recording needs about {need_mb:.0f} MB")
            if free_mb < need_mb:
                report.problems.append(
                    f"not enough disk for the recording: {free_mb:.0f} MB free, {need_mb:.0f} MB needed"
                )
    except ObsError as exc:
        report.problems.append(f"OBS: {exc}")


def load_scene_files(paths: list[Path]) -> tuple[SceneCollection | None, list[str]]:
    from streamkit.obs.scenes import load_scenes

    try:
        return load_scenes(paths), []
    except ConfigError as exc:
        return None, exc.lines()
