#!/usr/bin/env python3
"""Helpers for tests/e2e/cluster.sh: read and adjust the project that flycluster edited.

  fly_project.py offline-deps MIX_EXS DEP STUB_PATH
      Replace the `{:DEP, ...}` dependency (dns_cluster or libcluster) with `{:DEP, path: STUB_PATH}` and
      drop every other dependency (none can be fetched here; the app's stand-in modules replace them).
      Fails when mix.exs has no DEP dependency or a dependency it cannot read line by line.
  fly_project.py machine-env DOCKERFILE FLY_TOML
      Print, NUL-separated, the KEY=VALUE pairs a Fly machine gets from the image and the app config:
      the final build stage's ENV (the last FROM onwards), then fly.toml's [env] (which wins).
  fly_project.py break-ipv6 ENV_SH_EEX DOCKERFILE
      The negative control: remove every `-proto_dist inet6_tcp` from both files.
  fly_project.py break-basename RUNTIME_EXS BASENAME
      The libcluster negative control: replace the value of the one `node_basename:` in runtime.exs
      (flycluster derives it from RELEASE_NODE at runtime) by the fixed string BASENAME. Fails unless
      there is exactly one, its value on that line.
"""
import re
import shlex
import sys
import tomllib


def offline_deps(mix_exs, dep_name, stub_path):
    text = open(mix_exs, encoding="utf-8").read()
    m = re.search(r"^(\s*)defp deps do\n(.*?)^\1end\n", text, re.S | re.M)
    if not m:
        sys.exit(f"{mix_exs}: no `defp deps do ... end`")
    body = m.group(2)
    out, found = [], False
    for line in body.splitlines(keepends=True):
        dep = re.match(r"^\s*\{:(\w+),.*\},?\s*(#.*)?$", line)
        if dep:
            if dep.group(1) == dep_name:
                out.append(f'      {{:{dep_name}, path: "{stub_path}"}},\n')
                found = True
            continue
        if re.search(r"\{:\w+", line):
            sys.exit(f"{mix_exs}: cannot read this dependency line by line: {line.strip()}")
        out.append(line)
    if not found:
        sys.exit(f"{mix_exs}: flycluster added no {{:{dep_name}, ...}} dependency")
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


def break_basename(runtime_exs, basename):
    text = open(runtime_exs, encoding="utf-8").read()
    lines = text.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if re.match(r"^\s*node_basename:", line)]
    if len(hits) != 1:
        sys.exit(f"{runtime_exs}: expected one `node_basename:` line, found {len(hits)}")
    i = hits[0]
    m = re.match(r"^(\s*node_basename:\s*)(.*?)(,?)(\s*)$", lines[i], re.S)
    value = m.group(2)
    # The whole value must be on this line (balanced brackets), or the edit would leave half of it.
    depth = 0
    for ch in value:
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(ch, 0)
    if not value or depth != 0:
        sys.exit(f"{runtime_exs}:{i + 1}: node_basename's value is not on one line: {lines[i].strip()}")
    lines[i] = f'{m.group(1)}"{basename}"{m.group(3)}{m.group(4)}'
    open(runtime_exs, "w", encoding="utf-8").write("".join(lines))
    print(f"{runtime_exs}:{i + 1}: node_basename: {value}  ->  \"{basename}\"")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {
        "offline-deps": offline_deps,
        "machine-env": machine_env,
        "break-ipv6": break_ipv6,
        "break-basename": break_basename,
    }[cmd](*args)
