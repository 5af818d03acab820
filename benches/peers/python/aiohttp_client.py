"""Peer (5): the seeds' approach, aiohttp with a semaphore bounding requests in flight."""

import asyncio

import aiohttp

import common


async def main():
    base_url, requests, concurrency = common.args()
    url = f"{base_url}/chat/completions"
    headers = {"Authorization": "Bearer sk-bench", "Content-Type": "application/json"}
    payload = {
        "model": common.MODEL,
        "messages": [{"role": "user", "content": common.PROMPT}],
        "max_completion_tokens": common.MAX_TOKENS,
    }
    semaphore = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def call():
            async with semaphore:
                async with session.post(url, json=payload, headers=headers) as response:
                    body = await response.json()
                    return response.status == 200 and bool(body.get("choices"))

        await common.measure(f"Python aiohttp {aiohttp.__version__} + semaphore", call, requests, concurrency)


asyncio.run(main())
