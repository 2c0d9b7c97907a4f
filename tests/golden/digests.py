"""Golden digests: SHA-256 of what the project produces, pinned so that refactors keep it byte-identical.

Run ``python -m tests.golden.digests`` to print the current digests (``--write`` updates
``digests.json``). A change of behaviour (a fixed bug, new medicine) updates the file in the same
commit and names the change there.

Covered: ``twin-env simulate`` output (every format), a single env and a native vector env driven
by seeded random masked actions (observations, rewards, infos, FHIR record), a shielded single env's
audit log, and a 200-patient shielded evaluation of every baseline policy and the shipped agent.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).parent
DIGESTS = HERE / "digests.json"


def _hash_tree(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".png"):
        h.update(str(path.relative_to(root)).encode())
        if path.name == "manifest.json":  # its installed package versions belong to the machine, not the code
            manifest = json.loads(path.read_text())
            manifest.pop("versions", None)
            h.update(json.dumps(manifest, sort_keys=True).encode())
        else:
            h.update(path.read_bytes())
    return h.hexdigest()


def _hash_obj(h: Any, obj: Any) -> None:
    if isinstance(obj, dict):
        for k in sorted(obj):
            h.update(str(k).encode())
            _hash_obj(h, obj[k])
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _hash_obj(h, v)
    elif isinstance(obj, np.ndarray):
        h.update(str(obj.dtype).encode())
        h.update(np.ascontiguousarray(obj).tobytes())
    else:
        h.update(repr(obj).encode())


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "twin_env.cli", *args], check=True, capture_output=True)


def simulate_digest(tmp: Path) -> str:
    out = tmp / "sim"
    _cli("simulate", "--patients", "40", "--years", "3", "--seed", "1", "--out", str(out))
    return _hash_tree(out)


def single_env_digest(shielded: bool, tmp: Path) -> str:
    import gymnasium as gym

    import twin_env  # noqa: F401

    h = hashlib.sha256()
    audit = tmp / "audit.jsonl"
    if shielded:
        env = gym.make("twin_env/PrimaryCare-Shielded-v0", audit_path=str(audit), config={"horizon_years": 4})
    else:
        env = gym.make("twin_env/PrimaryCare-v0", config={"horizon_years": 4})
    rng = np.random.default_rng(7)
    for episode in range(3):
        obs, info = env.reset(seed=11 + episode)
        _hash_obj(h, (obs, info))
        done = False
        while not done:
            action = int(rng.choice(np.flatnonzero(info["action_mask"])))
            obs, reward, terminated, truncated, info = env.step(action)
            _hash_obj(h, (obs, reward, terminated, truncated, {k: v for k, v in info.items() if k != "audit_hash"}))
            done = terminated or truncated
        h.update(json.dumps(env.unwrapped.record.to_fhir(), sort_keys=True).encode())
    env.close()
    if shielded:
        h.update(audit.read_bytes())
    return h.hexdigest()


def vector_env_digest() -> str:
    from twin_env.envs.vector_env import PrimaryCareVectorEnv

    h = hashlib.sha256()
    env = PrimaryCareVectorEnv(24, {"horizon_years": 3})
    rng = np.random.default_rng(3)
    obs, info = env.reset(seed=5)
    _hash_obj(h, (obs, info))
    for _ in range(80):  # past the horizon: rows auto-reset
        mask = env.action_masks()
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in mask])
        _hash_obj(h, env.step(actions))
    return h.hexdigest()


def evaluation_digest(tmp: Path) -> str:
    out = tmp / "eval"
    _cli(
        "evaluate", "--policy", "do_nothing", "random", "usual_care", "nice_guideline", "qrisk3_threshold",
        "maskable_ppo_30min", "--episodes", "200", "--shielded", "--no-plots", "--out", str(out),
    )  # fmt: skip
    return _hash_tree(out)


def compute() -> dict[str, str]:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        return {
            "simulate": simulate_digest(tmp),
            "single_env": single_env_digest(False, tmp),
            "single_env_shielded_audit": single_env_digest(True, tmp),
            "vector_env": vector_env_digest(),
            "shielded_evaluation_200": evaluation_digest(tmp),
        }


if __name__ == "__main__":
    digests = compute()
    print(json.dumps(digests, indent=2))
    if "--write" in sys.argv:
        DIGESTS.write_text(json.dumps(digests, indent=2) + "\n")
    elif DIGESTS.exists():
        pinned = json.loads(DIGESTS.read_text())
        bad = [k for k in pinned if pinned[k] != digests.get(k)]
        print("MISMATCH: " + ", ".join(bad) if bad else "all digests match")
        sys.exit(1 if bad else 0)
