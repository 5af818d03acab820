#!/usr/bin/env python3
"""Extracts from the OpenAI OpenAPI spec what shepherd-types is tested against.

Writes, beside this script:
  spec_examples.json   every example payload (requests, responses, stream
                       events, component examples) of the endpoints below;
  request_schemas.json the JSON request-body schemas of those endpoints with
                       every component they reference, under
                       components.schemas, for `$ref` resolution.

The spec is 2 MB and lives outside the repository, so the tests read these
extracts; `tests/spec_examples.rs` reruns this script with `--check` when the
spec is present to prove they are current.

Spec examples are written for people: they elide with `...` lines and
`{ ... }` list items, leave trailing commas and prefix stream events with
`data: `. `repair` undoes exactly that and nothing else; an example that
still does not parse stops the script.

Usage: extract.py [--spec PATH] [--check]
  PATH defaults to $SHEPHERD_OPENAPI, else ../../../../../shared/openapi/openai.json
  relative to this script (the project's shared reference directory).
"""

import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# The endpoints shepherd serves; every method and example of each is extracted.
PATHS = [
    "/chat/completions",
    "/chat/completions/{completion_id}",
    "/embeddings",
    "/audio/transcriptions",
    "/audio/speech",
    "/files",
    "/files/{file_id}",
    "/files/{file_id}/content",
    "/batches",
    "/batches/{batch_id}",
    "/batches/{batch_id}/cancel",
    "/models",
    "/models/{model}",
]

METHODS = ["get", "post", "delete"]


def default_spec():
    env = os.environ.get("SHEPHERD_OPENAPI")
    if env:
        return env
    return os.path.normpath(os.path.join(HERE, "../../../../../shared/openapi/openai.json"))


def ref_name(schema):
    ref = schema.get("$ref", "") if isinstance(schema, dict) else ""
    prefix = "#/components/schemas/"
    return ref[len(prefix):] if ref.startswith(prefix) else None


def schema_names(schema):
    """The component names a payload schema stands for: its `$ref`, or the
    `$ref`s of a top-level oneOf/anyOf (a payload matches one of them)."""
    if not isinstance(schema, dict):
        return []
    name = ref_name(schema)
    if name:
        return [name]
    names = []
    for key in ("oneOf", "anyOf"):
        for member in schema.get(key, []):
            n = ref_name(member)
            if n:
                names.append(n)
    return names


ELISION = re.compile(r"^\s*\.{3,}.*$")
TRAILING_COMMA = re.compile(r",(\s*[}\]])")
ELIDED_ITEM = re.compile(r"\{\s*\.{3,}\s*\}\s*,?")


def repair(text):
    """Splits an example into JSON documents, undoing the spec's prose
    conventions. Returns the documents' text."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if ELISION.match(line):
            continue
        if stripped.startswith("data:"):
            stripped = stripped[len("data:"):].strip()
            if stripped == "[DONE]":
                continue
            line = stripped
        elif stripped.startswith("event:"):
            continue
        lines.append(line)
    text = ELIDED_ITEM.sub("", "\n".join(lines))
    text = TRAILING_COMMA.sub(r"\1", text)
    decoder = json.JSONDecoder()
    docs, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return docs
        try:
            _, j = decoder.raw_decode(text, i)
        except json.JSONDecodeError as e:
            raise SystemExit(f"example does not parse after repair ({e}):\n{text}")
        docs.append(text[i:j])
        i = j


# The body is the single-quoted argument of -d; it ends at a quote followed by
# a line continuation or the end of the command.
CURL_BODY = re.compile(r"(?:-d|--data(?:-raw)?)\s+'(.*?)'[ \t]*(?:\\\n|\s*$)", re.S)


def curl_body(example_request):
    curl = example_request.get("curl", "") if isinstance(example_request, dict) else example_request
    if not isinstance(curl, str):
        return None
    m = CURL_BODY.search(curl)
    return m.group(1) if m else None


def extract(spec):
    schemas = spec["components"]["schemas"]
    examples, not_json = [], []
    component_names, request_roots = [], []

    def add_component(name):
        if name not in component_names:
            component_names.append(name)

    for path in PATHS:
        item = spec["paths"][path]
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            where = f"{method.upper()} {path}"
            req_content = op.get("requestBody", {}).get("content", {})
            req_json = schema_names(req_content.get("application/json", {}).get("schema"))
            if req_json:
                for n in req_json:
                    if n not in request_roots:
                        request_roots.append(n)
            elif "application/json" in req_content:
                req_json = [f"inline request of {where}"]
            resp_json, resp_stream = [], []
            for code, resp in sorted(op.get("responses", {}).items()):
                if not code.startswith("2"):
                    continue
                content = resp.get("content", {})
                resp_json += schema_names(content.get("application/json", {}).get("schema"))
                resp_stream += schema_names(content.get("text/event-stream", {}).get("schema"))
            for n in req_json + resp_json + resp_stream:
                if not n.startswith("inline"):
                    add_component(n)

            raw = op.get("x-oaiMeta", {}).get("examples")
            raw = raw if isinstance(raw, list) else [raw] if raw else []
            for i, ex in enumerate(raw):
                title = ex.get("title") or str(i)
                source = f"{where} example {title!r}"
                body = curl_body(ex.get("request", {}))
                if body is not None:
                    examples.append({
                        "source": source + " request",
                        "schemas": req_json,
                        "payloads": repair(body),
                    })
                else:
                    not_json.append(source + " request: no JSON body (multipart or none)")
                response = ex.get("response")
                if not isinstance(response, str) or not response.strip():
                    not_json.append(source + " response: none (binary or empty)")
                    continue
                docs = repair(response)
                stream = len(docs) > 1 or response.lstrip().startswith("data:")
                examples.append({
                    "source": source + " response",
                    "schemas": resp_stream if stream else resp_json,
                    "payloads": docs,
                })

    for name in component_names:
        schema = schemas[name]
        candidates = [name] + schema_names(schema)
        for candidate in candidates:
            s = schemas[candidate]
            ex = s.get("x-oaiMeta", {}).get("example", s.get("example"))
            if isinstance(ex, str):
                examples.append({
                    "source": f"components.schemas.{candidate} example",
                    "schemas": [candidate],
                    "payloads": repair(ex),
                })

    return {
        "generated_by": "crates/shepherd-types/tests/data/extract.py",
        "spec": {"title": spec["info"]["title"], "version": spec["info"]["version"]},
        "paths": PATHS,
        "examples": dedupe(examples),
        "not_json": not_json,
    }, request_schemas(spec, request_roots)


def dedupe(examples):
    seen, out = set(), []
    for e in examples:
        key = (e["source"], tuple(e["payloads"]))
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def strip_annotations(node):
    """Drops prose and vendor keys; keeps every validating keyword. A property
    that happens to be called `description` or `title` is a dict, not a
    string, and so survives."""
    if isinstance(node, dict):
        return {
            k: strip_annotations(v)
            for k, v in node.items()
            if not k.startswith("x-")
            and not (k in ("description", "title", "example") and isinstance(v, str))
            and k != "examples"
        }
    if isinstance(node, list):
        return [strip_annotations(v) for v in node]
    return node


def request_schemas(spec, roots):
    schemas = spec["components"]["schemas"]
    needed, todo = {}, list(roots)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed[name] = strip_annotations(schemas[name])
        todo += re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(schemas[name]))
    return {
        "generated_by": "crates/shepherd-types/tests/data/extract.py",
        "roots": roots,
        "components": {"schemas": dict(sorted(needed.items()))},
    }


def dump(value):
    return json.dumps(value, indent=1, ensure_ascii=False) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=default_spec())
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed files instead of writing them")
    args = parser.parse_args()
    with open(args.spec, encoding="utf-8") as f:
        spec = json.load(f)
    examples, reqs = extract(spec)
    outputs = {"spec_examples.json": dump(examples), "request_schemas.json": dump(reqs)}
    stale = []
    for name, text in outputs.items():
        path = os.path.join(HERE, name)
        if args.check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if stale:
        print(f"out of date with {args.spec}: {', '.join(stale)}; rerun {__file__}", file=sys.stderr)
        return 1
    n = len(examples["examples"])
    print(f"{'checked' if args.check else 'wrote'} {n} examples, {len(reqs['components']['schemas'])} request schemas")
    return 0


if __name__ == "__main__":
    sys.exit(main())
