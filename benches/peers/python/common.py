"""Shared timing for the Python peers: workers, latency percentiles, CPU seconds, JSON out."""

import asyncio
import json
import resource
import sys
import time

MODEL = "gpt-4.1-mini"
PROMPT = "Say hello to the benchmark in one short sentence."
MAX_TOKENS = 16


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def drive(call, requests, concurrency):
    """Runs `call` `requests` times on `concurrency` workers; returns (latencies_us, errors)."""
    latencies = []
    errors = 0
    next_index = 0

    async def worker():
        nonlocal next_index, errors
        while next_index < requests:
            next_index += 1
            start = time.perf_counter()
            try:
                ok = await call()
            except Exception:  # noqa: BLE001 - a failed request is counted, not fatal
                ok = False
            latencies.append((time.perf_counter() - start) * 1e6)
            if not ok:
                errors += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors


def percentile(sorted_values, q):
    if not sorted_values:
        return 0
    index = min(len(sorted_values) - 1, int(q * len(sorted_values)))
    return int(sorted_values[index])


async def measure(name, call, requests, concurrency):
    """Warm-up (opens the connections), then the timed run; prints one JSON line."""
    await drive(call, concurrency * 4, concurrency)
    cpu = cpu_seconds()
    start = time.perf_counter()
    latencies, errors = await drive(call, requests, concurrency)
    seconds = time.perf_counter() - start
    cpu = cpu_seconds() - cpu
    latencies.sort()
    print(json.dumps({
        "client": name,
        "requests": requests,
        "concurrency": concurrency,
        "errors": errors,
        "seconds": seconds,
        "rps": requests / seconds,
        "p50_us": percentile(latencies, 0.5),
        "p99_us": percentile(latencies, 0.99),
        "cpu_seconds": cpu,
    }))


def args():
    """base_url requests concurrency, from the command line."""
    if len(sys.argv) != 4:
        sys.exit(f"usage: {sys.argv[0]} BASE_URL REQUESTS CONCURRENCY")
    return sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
