#!/usr/bin/env python3
"""Helpers for tests/e2e/cluster.sh: read and adjust the project that flycluster edited.

  fly_project.py offline-deps MIX_EXS STUB_PATH
      Replace the `{:dns_cluster, ...}` dependency with `{:dns_cluster, path: STUB_PATH}` and drop every
      other dependency (none can be fetched here; the app's stand-in modules replace them). Fails when
      mix.exs has no dns_cluster dependency or a dependency it cannot read line by line.
  fly_project.py machine-env DOCKERFILE FLY_TOML
      Print, NUL-separated, the KEY=VALUE pairs a Fly machine gets from the image and the app config:
      the final build stage's ENV (the last FROM onwards), then fly.toml's [env] (which wins).
  fly_project.py break-ipv6 ENV_SH_EEX DOCKERFILE
      The negative control: remove every `-proto_dist inet6_tcp` from both files.
"""
import re
import shlex
import sys
import tomllib


def offline_deps(mix_exs, stub_path):
    text = open(mix_exs, encoding="utf-8").read()
    m = re.search(r"^(\s*)defp deps do\n(.*?)^\1end\n", text, re.S | re.M)
    if not m:
        sys.exit(f"{mix_exs}: no `defp deps do ... end`")
    body = m.group(2)
    out, found = [], False
    for line in body.splitlines(keepends=True):
        dep = re.match(r"^\s*\{:(\w+),.*\},?\s*(#.*)?$", line)
        if dep:
            if dep.group(1) == "dns_cluster":
                out.append(f'      {{:dns_cluster, path: "{stub_path}"}},\n')
                found = True
            continue
        if re.search(r"\{:\w+", line):
            sys.exit(f"{mix_exs}: cannot read this dependency line by line: {line.strip()}")
        out.append(line)
    if not found:
        sys.exit(f"{mix_exs}: flycluster added no {{:dns_cluster, ...}} dependency")
    text = text[: m.start(2)] + "".join(out) + text[m.end(2):]
    open(mix_exs, "w", encoding="utf-8").write(text)


def dockerfile_instructions(path):
    """(instruction, arguments) pairs, continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in open(path, encoding="utf-8").read().splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and current):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        if current.strip():
            lines.append(current.strip())
        current = ""
    if current.strip():
        lines.append(current.strip())
    out = []
    for line in lines:
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def final_stage_env(dockerfile):
    env = {}
    for word, rest in dockerfile_instructions(dockerfile):
        if word == "FROM":
            env = {}
        elif word == "ENV":
            tokens = shlex.split(rest, posix=True)
            if tokens and "=" in tokens[0]:
                for tok in tokens:
                    key, eq, value = tok.partition("=")
                    if not eq:
                        sys.exit(f"{dockerfile}: cannot read ENV {rest}")
                    env[key] = value
            elif tokens:  # legacy `ENV KEY value with spaces`
                env[tokens[0]] = " ".join(tokens[1:])
    return env


def machine_env(dockerfile, fly_toml):
    env = final_stage_env(dockerfile)
    with open(fly_toml, "rb") as f:
        data = tomllib.load(f)
    for key, value in data.get("env", {}).items():
        env[key] = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    for key, value in env.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) or "\0" in value:
            sys.exit(f"unusable environment variable {key!r}")
        sys.stdout.write(f"{key}={value}\0")


def break_ipv6(*paths):
    for path in paths:
        text = open(path, encoding="utf-8").read()
        broken = re.sub(r"[ \t]*-proto_dist[ \t]+inet6_tcp", "", text)
        if broken == text:
            sys.exit(f"{path}: has no -proto_dist inet6_tcp to remove")
        open(path, "w", encoding="utf-8").write(broken)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"offline-deps": offline_deps, "machine-env": machine_env, "break-ipv6": break_ipv6}[cmd](*args)
