"""Test support, in one place for tests and bench/ alike: fake servers, builders and a scripted LLM.

anthropic_api, openai_api, slack_api   fake Anthropic, OpenAI-compatible and Slack Web APIs on 127.0.0.1
plans                                  orchestrator and worker replies, and reading styles back from prompts
scripted                               ScriptedLLM (an in-process provider) and NonStreaming (hides streaming)
slack_requests                         signed requests to the Bolt app, as Slack sends them
slack_oauth                            a browser going through the install flow (OAuth mode)
"""
