# Shared by the hostile cases' setup.sh (sourced: `. "$HOSTILE_LIB"`).
# mkzip OUT NAME=DATA...: a zip of these entries; DATA may be @link:TARGET or @zeros:N.
mkzip() { python3 - "$@" <<'PY'
import sys, zipfile
out, *entries = sys.argv[1:]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for e in entries:
        name, _, data = e.partition("=")
        if data.startswith("@link:"):
            info = zipfile.ZipInfo(name); info.external_attr = 0o120777 << 16
            z.writestr(info, data[6:])
        elif data.startswith("@zeros:"):
            with z.open(zipfile.ZipInfo(name), "w", force_zip64=True) as f:
                left = int(data[7:])
                while left:
                    n = min(left, 1 << 20); f.write(b"\0" * n); left -= n
        else:
            z.writestr(name, data)
PY
}
record() { # record ZIP [UNZIPPED] [EXTRA-LAYER-JSON]: a record as layer-pack writes it
    python3 - "$PWD/$1" "${2:-100}" "${NAME:-hostile}" "${3:-}" <<'PY'
import base64, hashlib, json, sys
path, unzipped, name, extra = sys.argv[1:]
data = open(path, "rb").read()
digest = hashlib.sha256(data).digest()
layer = {"name": name, "version": "1.0.0", "compatible_runtimes": ["python3.12"], "compatible_architectures": ["x86_64"]}
layer.update(json.loads(extra or "{}"))
print(json.dumps({"schema": "layer-record/v1", "layer": layer, "artifact": {
    "path": path, "zip_bytes": len(data), "unzipped_bytes": int(unzipped), "files": 1,
    "sha256": digest.hex(), "code_sha256": base64.b64encode(digest).decode(), "findings": []}}))
PY
}

layer() { # a valid layer folder: layer/ with layer.yaml and a small package
    mkdir -p layer/python/lib dist
    printf "name: hostile\ncompatible_runtimes: [python3.11]\ncompatible_architectures: [x86_64]\n" > layer/layer.yaml
    echo "X = 1" > layer/python/lib/__init__.py
}

repo() { # a git repository in repo/ (and cd into it)
    git init -q -b main repo
    cd repo
    git config user.email t@example.invalid
    git config user.name t
}
