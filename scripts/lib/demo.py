"""Helpers for scripts/demo.sh: sample functions on the emulator, and records in words.

Talks only to the emulator at AWS_ENDPOINT_URL (boto3 comes with moto[server], which
scripts/setup.sh installs). Everything it prints goes to stderr, like the tools' messages;
`layers` prints JSON to stdout for the demo's own checks.

  python3 demo.py functions HANDLER.py    create the role, a vendor layer and the functions
  python3 demo.py story RECORDS.jsonl [--attachments]
                                          say what each stage of a pipe did
  python3 demo.py layers                  every function's layer list (JSON on stdout)
  python3 demo.py imports ZIP... -- HANDLER.py
                                          unzip the layers like Lambda does (/opt) and run
                                          the handler with them under the local python3
  python3 demo.py elf ZIP                 the CPU (ELF header) of every shared library of a zip
"""

import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile

# The sample functions: name, whether it already uses a third-party layer, runtime,
# architecture (a Graviton function gets the arm64 build of makoto-common).
FUNCTIONS = [
    ("makoto-api-dev", True, "python3.11", "x86_64"),
    ("makoto-worker-dev", False, "python3.11", "x86_64"),
    ("makoto-events-dev", False, "python3.12", "arm64"),
    ("makoto-health-check-dev", False, "python3.11", "x86_64"),
    ("makoto-api-prod", False, "python3.11", "x86_64"),
]
VENDOR_LAYER = "acme-vendor"


def say(text=""):
    print(text, file=sys.stderr)


def clients():
    # Explicit endpoint and region: this must never reach anything but the emulator.
    import boto3

    endpoint = os.environ["AWS_ENDPOINT_URL"]
    if not endpoint.startswith("http://127.0.0.1:"):
        sys.exit(f"demo.py: refusing to talk to {endpoint}: only the local emulator")
    kw = dict(region_name=os.environ["AWS_REGION"], endpoint_url=endpoint)
    return boto3.client("lambda", **kw), boto3.client("iam", **kw)


def zip_of(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def create_functions(handler_path):
    lam, iam = clients()
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(
        RoleName="makoto-demo", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    say(f"  IAM role {role}")
    vendor = lam.publish_layer_version(
        LayerName=VENDOR_LAYER,
        Description="a third-party layer one function already uses",
        Content={"ZipFile": zip_of({"python/acme_vendor.py": "NAME = 'acme'\n"})},
        CompatibleRuntimes=["python3.11"],
    )["LayerVersionArn"]
    say(f"  layer {short(vendor)} (someone else's layer, which must stay in place)")
    with open(handler_path) as f:
        code = zip_of({"handler.py": f.read()})
    for name, uses_vendor, runtime, arch in FUNCTIONS:
        layers = [vendor] if uses_vendor else []
        lam.create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": code},
            Layers=layers,
            Architectures=[arch],
        )
        say(f"  function {name:<24} {runtime} {arch:<6}  layers {names(layers)}")


def short(arn):
    """`makoto-common:3` for a layer version ARN."""
    parts = arn.split(":")
    return f"{parts[6]}:{parts[7]}" if len(parts) >= 8 else arn


def names(arns):
    return "[" + ", ".join(short(a) for a in arns) + "]"


def read_records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def story(path, only_attachments=False):
    records = read_records(path)
    seen = set()
    for r in [] if only_attachments else records:
        layer = r.get("layer", {})
        name = layer.get("name", "?")
        v = r.get("version")
        if v:
            if v.get("bump") == "none":
                say(f"  layer-bump    {name}: no new commits, stays at {v['next']}")
            else:
                subjects = "; ".join(c["subject"] for c in v.get("commits", [])[:3])
                say(f"  layer-bump    {name}: {v['current']} -> {v['next']} ({v['bump']}: {subjects})")
        a = r.get("artifact")
        if a:
            archs = ", ".join(layer.get("compatible_architectures", []))
            family = layer.get("family", {})
            build = f" (build of {family['name']})" if len(family.get("builds", [])) > 1 else ""
            say(
                f"  layer-pack    {name}{build}: {os.path.basename(a['path'])} for {archs}, {a['files']} files, "
                f"{a['unzipped_bytes'] / 1e6:.1f} MB unzipped, {a['zip_bytes'] / 1e6:.2f} MB zipped"
            )
            installs = a.get("site_packages") or ([a["dependencies"]] if a.get("dependencies") else [])
            for i in installs:
                say(f"                  dependencies for {i['target']} in {i.get('path', 'python/')}")
            for p in a.get("import_proof", []):
                if p.get("proven"):
                    say(f"                  imported on {p['target']} by Python {p['python_version']} ({p['interpreter']})")
                else:
                    say(f"                  not imported on {p['target']}: {p.get('reason', '')[:90]}")
        p = r.get("published")
        if p:
            how = "reused: identical content was already published" if p.get("reused") else "published"
            say(f"  layer-publish {name}: version {p['version']} in {p['region']} ({how})")
    for r in records:
        for entry in r.get("attachments", []):
            key = (entry["region"], entry["function"])
            if key in seen:
                continue
            seen.add(key)
            status = entry["status"]
            line = f"  layer-attach  {entry['function']:<24} {status:<9} {names(entry['before'])} -> {names(entry['after'])}"
            if entry.get("reason"):
                line += f"  ({entry['reason']})"
            say(line)


def layers():
    lam, _ = clients()
    found = {}
    for page in lam.get_paginator("list_functions").paginate():
        for fn in page["Functions"]:
            found[fn["FunctionName"]] = [layer["Arn"] for layer in fn.get("Layers", [])]
    print(json.dumps(found, sort_keys=True))


def expect_layers(before_path, now_json):
    """Exit 1 unless every function now has the layer list it had before (from `layers`)."""
    with open(before_path) as f:
        before = json.load(f)
    now = json.loads(now_json)
    bad = [n for n in before if before[n] != now.get(n)]
    for name in sorted(before):
        mark = "same as before" if name not in bad else f"DIFFERENT: was {names(before[name])}"
        say(f"  {name:<24} {names(now.get(name, []))}  {mark}")
    if bad:
        sys.exit(1)


def imports(args):
    """Extract the layer zips into one /opt-like folder, as Lambda does, and call the handler."""
    split = args.index("--")
    zips, handler = args[:split], args[split + 1]
    with tempfile.TemporaryDirectory(prefix="layer-demo-opt-") as opt:
        for z in zips:
            with zipfile.ZipFile(z) as archive:
                archive.extractall(opt)
        # Lambda's order for pythonX.Y: the layers' site-packages of that version, then python/.
        code = (
            "import sys, json\n"
            "sys.path[:0] = [sys.argv[1] + '/lib/python%d.%d/site-packages' % sys.version_info[:2], sys.argv[1], sys.argv[2]]\n"
            "import handler, yaml, yaml._yaml, requests\n"
            "answer = handler.handler({'headers': {'x-tenant-id': 'acme'}}, None)\n"
            "print(json.dumps(answer))\n"
            "print(yaml._yaml.__file__[len(sys.argv[1]):], file=sys.stderr)\n"
            "sys.exit(0 if answer['statusCode'] == 200 else 1)\n"
        )
        out = subprocess.run(
            [sys.executable, "-I", "-c", code, os.path.join(opt, "python"), os.path.dirname(os.path.abspath(handler))],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            say(out.stderr)
            sys.exit(1)
        say(f"  handler answered {out.stdout.strip()}")
        say(f"  PyYAML's C extension loaded from python{out.stderr.strip()}")


def elf(path):
    """Every shared library of a zip and its CPU, by the ELF header (e_machine)."""
    machines = {62: "x86_64", 183: "aarch64"}
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if name.endswith(".so") or ".so." in name:
                head = z.read(name)[:20]
                machine = int.from_bytes(head[18:20], "little") if head[:4] == b"\x7fELF" else None
                say(f"  {machines.get(machine, machine)!s:<8} {name}")


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "functions":
        create_functions(args[0])
    elif command == "story":
        story(args[0], only_attachments=args[1:] == ["--attachments"])
    elif command == "layers":
        layers()
    elif command == "expect-layers":
        expect_layers(args[0], args[1])
    elif command == "imports":
        imports(args)
    elif command == "elf":
        elf(args[0])
    else:
        sys.exit(f"demo.py: unknown command {command}")


if __name__ == "__main__":
    main()
