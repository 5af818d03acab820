"""Peer (4): the official `openai` package's AsyncOpenAI, as its README shows it."""

import asyncio

import openai
from openai import AsyncOpenAI

import common


async def main():
    base_url, requests, concurrency = common.args()
    client = AsyncOpenAI(base_url=base_url, api_key="sk-bench")

    async def call():
        response = await client.chat.completions.create(
            model=common.MODEL,
            messages=[{"role": "user", "content": common.PROMPT}],
            max_completion_tokens=common.MAX_TOKENS,
        )
        return bool(response.choices)

    await common.measure(f"Python openai {openai.__version__} (AsyncOpenAI)", call, requests, concurrency)
    await client.close()


asyncio.run(main())
