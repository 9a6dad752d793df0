"""The repository's deployable parts: compose file, Dockerfile, public surface, CI script."""

from __future__ import annotations

from pathlib import Path

import yaml

import monitor

ROOT = Path(__file__).resolve().parents[1]


def test_compose_file_runs_redis_and_the_monitor() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"redis", "newsmon"}
    newsmon = services["newsmon"]
    assert newsmon["build"] == "."
    assert (ROOT / "Dockerfile").exists()
    assert newsmon["environment"]["NEWSMON_REDIS_URL"].startswith("redis://redis:")
    assert "redis" in newsmon["depends_on"]
    for name in compose.get("volumes", {}):
        assert any(name in str(v) for s in services.values() for v in s.get("volumes", []))


def test_compose_can_scale_the_monitor() -> None:
    """`docker compose up --scale newsmon=3` needs a service with no fixed name or host port."""
    newsmon = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["newsmon"]
    assert "container_name" not in newsmon and "ports" not in newsmon
    assert "hostname" not in newsmon


def test_public_surface() -> None:
    assert sorted(monitor.__all__) == [
        "Alert",
        "Config",
        "KeywordSpec",
        "alert_schema",
        "load_config",
        "subscribe",
    ]
    assert monitor.alert_schema()["properties"]["schema"] == {
        "const": 1,
        "description": "Version of this format.",
    }


def test_readme_quickstart_is_two_lines_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = [line for line in section.splitlines() if line.startswith("python3 ")]
    assert len(commands) == 2
    assert "newsmon run" in commands[0]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()
