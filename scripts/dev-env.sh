# Sourced by the other scripts: puts cargo-lambda (with its zig) and cfn-lint on PATH from a
# project-local virtualenv (.venv), installing them on first use or when requirements change.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
requirements="$root/scripts/requirements-dev.txt"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! cmp -s "$requirements" "$venv/.installed" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/.installed"
fi
export PATH="$venv/bin:$PATH"
