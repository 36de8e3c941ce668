"""Credentials the redactor replaces with `<SECRET>`: one table, one rule per vendor.

The vendors and their token shapes follow the rule sets of the two secret scanners the field
keeps up to date, gitleaks (`config/gitleaks.toml`) and Yelp's detect-secrets (its plugins):
a documented prefix and length per issuer, so a match is a credential and not a word. Tokens
with no prefix are found by their context only (an AWS secret access key near `aws`, a value
assigned to `password`, `api_key`, `client_secret`, ... as detect-secrets' keyword plugin does).

`docs/reference/redaction.md` lists every vendor below; a test fails when the two disagree.
"""

from __future__ import annotations

import dataclasses
import functools
import re


@dataclasses.dataclass(frozen=True)
class SecretRule:
    vendor: str
    hints: tuple[str, ...]  # literal text one of which any token holds: the rule runs only on text that has it
    pattern: str  # a regular expression; matched with \b before it where it starts with a word character
    source: str  # the scanner rule it follows


SECRET_RULES: tuple[SecretRule, ...] = (
    SecretRule(
        "JSON Web Token", ("eyJ",), r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", "gitleaks jwt"
    ),
    SecretRule(
        "OpenAI, Anthropic, OpenRouter",
        ("sk-",),
        r"sk-(?:proj-|svcacct-|admin-|ant-(?:api\d\d-)?|or-v1-)?[A-Za-z0-9_-]{20,}",
        "gitleaks openai-api-key, anthropic-api-key",
    ),
    SecretRule(
        "GitHub",
        ("gh", "github_pat_"),
        r"gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}",
        "gitleaks github-pat, github-fine-grained-pat",
    ),
    SecretRule(
        "GitLab",
        ("gl",),
        r"gl(?:pat|dt|rt|ptt|cbt|imt|oas|soat|ffct)-[0-9A-Za-z_-]{20,}",
        "gitleaks gitlab-pat and siblings",
    ),
    SecretRule(
        "AWS access key id",
        ("A3T", "AKIA", "ASIA", "ABIA", "ACCA"),
        r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
        "gitleaks aws-access-token",
    ),
    SecretRule(
        "Slack token", ("xox",), r"xox[abposre]-[A-Za-z0-9-]{10,}", "gitleaks slack-bot-token, slack-user-token"
    ),
    SecretRule(
        "Slack webhook",
        ("hooks.slack.com",),
        r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{20,}",
        "gitleaks slack-webhook-url",
    ),
    SecretRule(
        "Stripe", ("_live_", "_test_"), r"(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}", "gitleaks stripe-access-token"
    ),
    SecretRule("Google API key", ("AIza",), r"AIza[0-9A-Za-z_-]{35}", "gitleaks gcp-api-key"),
    SecretRule(
        "Hugging Face",
        ("hf_", "api_org_"),
        r"(?:hf_|api_org_)[A-Za-z]{34}\b",
        "gitleaks huggingface-access-token, -organization",
    ),
    SecretRule(
        "SendGrid",
        ("SG.",),
        r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
        "gitleaks sendgrid-api-token; detect-secrets SendGridDetector",
    ),
    SecretRule("Twilio", ("SK",), r"SK[0-9a-fA-F]{32}\b", "gitleaks twilio-api-key; detect-secrets TwilioKeyDetector"),
    SecretRule(
        "Mailchimp",
        ("-us",),
        r"[0-9a-f]{32}-us\d{1,2}\b",
        "gitleaks mailchimp-api-key; detect-secrets MailchimpDetector",
    ),
    SecretRule("Mailgun", ("key-",), r"key-[0-9a-z]{32}\b", "gitleaks mailgun-private-api-token"),
    SecretRule("npm", ("npm_",), r"npm_[A-Za-z0-9]{36}\b", "gitleaks npm-access-token; detect-secrets NpmDetector"),
    SecretRule(
        "PyPI",
        ("pypi-",),
        r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
        "gitleaks pypi-upload-token; detect-secrets PypiTokenDetector",
    ),
    SecretRule(
        "Shopify", ("shp",), r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b", "gitleaks shopify-access-token and siblings"
    ),
    SecretRule(
        "Square",
        ("sq0", "EAAA"),
        r"sq0(?:atp|csp)-[0-9A-Za-z_-]{22,43}|EAAA[0-9A-Za-z_-]{60}",
        "gitleaks square-access-token; detect-secrets SquareOAuthDetector",
    ),
    SecretRule(
        "Telegram bot",
        (":AA",),
        r"\d{8,10}:AA[0-9A-Za-z_-]{33}\b",
        "gitleaks telegram-bot-api-token; detect-secrets TelegramBotTokenDetector",
    ),
    SecretRule(
        "Discord bot",
        (),
        r"[MN][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}",
        "detect-secrets DiscordBotTokenDetector",
    ),
    SecretRule("Databricks", ("dapi",), r"dapi[a-f0-9]{32}(?:-\d)?\b", "gitleaks databricks-api-token"),
    SecretRule(
        "DigitalOcean",
        ("_v1_",),
        r"do[por]_v1_[a-f0-9]{64}\b",
        "gitleaks digitalocean-pat, -access-token, -refresh-token",
    ),
    SecretRule("Doppler", ("dp.pt.",), r"dp\.pt\.[A-Za-z0-9]{43}", "gitleaks doppler-api-token"),
    SecretRule("Linear", ("lin_api_",), r"lin_api_[A-Za-z0-9]{40}\b", "gitleaks linear-api-key"),
    SecretRule("Postman", ("PMAK-",), r"PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}\b", "gitleaks postman-api-token"),
    SecretRule("Pulumi", ("pul-",), r"pul-[a-f0-9]{40}\b", "gitleaks pulumi-api-token"),
    SecretRule(
        "Grafana",
        ("glc_", "glsa_"),
        r"glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",
        "gitleaks grafana-cloud-api-token, -service-account-token",
    ),
    SecretRule("New Relic", ("NRAK-",), r"NRAK-[A-Z0-9]{27}\b", "gitleaks new-relic-user-api-key"),
    SecretRule("Atlassian", ("ATATT3",), r"ATATT3[A-Za-z0-9_=-]{150,}", "gitleaks atlassian-api-token"),
    SecretRule(
        "Replicate, Groq, Perplexity, xAI",
        ("r8_", "gsk_", "pplx-", "xai-"),
        r"r8_[A-Za-z0-9]{37}\b|gsk_[A-Za-z0-9]{52}\b|pplx-[A-Za-z0-9]{48}\b|xai-[A-Za-z0-9]{80}\b",
        "the issuers' documented prefixes",
    ),
    SecretRule(
        "Azure storage key",
        ("AccountKey=",),
        r"AccountKey=[A-Za-z0-9+/]{86}==",
        "gitleaks azure-storage; detect-secrets AzureStorageKeyDetector",
    ),
    SecretRule(
        "private key block",
        ("PRIVATE KEY",),
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]{16,}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
        "gitleaks private-key; detect-secrets PrivateKeyDetector",
    ),
)


def _bounded(pattern: str) -> str:
    return rf"\b(?:{pattern})" if re.match(r"[\w\\]", pattern) and not pattern.startswith("-") else f"(?:{pattern})"


SECRETS = re.compile("|".join(_bounded(r.pattern) for r in SECRET_RULES))


@functools.lru_cache(maxsize=512)
def _rules(active: tuple[int, ...]) -> re.Pattern[str]:
    return re.compile("|".join(_bounded(SECRET_RULES[i].pattern) for i in active))


def _active(text: str) -> tuple[int, ...]:
    """The rules whose literal hints the text holds: one alternation of 30 branches tried at every
    position took 4x the rest of the redactor on long prose; `in` checks cost nothing."""
    return tuple(i for i, rule in enumerate(SECRET_RULES) if not rule.hints or any(h in text for h in rule.hints))


# Secrets with no prefix, found by what stands before them.
# An AWS secret access key: 40 base64 characters within a few words after "aws" (gitleaks
# aws-secret-access-key, detect-secrets AWSKeyDetector).
AWS_SECRET = re.compile(r"(?i)(\baws.{0,30}?)(?<![A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")
# A value assigned to a credential's name (detect-secrets KeywordDetector), in text, YAML, JSON
# or a query string; the value must look like a credential (a digit, a symbol or an inner capital),
# so "password: forgotten" stays prose.
KEYWORD_SECRET = re.compile(
    r"(?i)\b((?:[a-z]+[_-])?(?:password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|"
    r"refresh[_-]?token|client[_-]?secret|private[_-]?key|secret[_-]?key|credentials?)\b[\"']?\s*[:=]\s*[\"']?)"
    r"(?!<)(?=[^\s\"',;&]*(?:\d|[_\-+/=!@#$%^*.~]|(?<=[^\s\"',;&:=])(?-i:[A-Z])))([^\s\"',;&<>]{8,})"
)
_KEYWORD_HINTS = ("pass", "pwd", "secret", "key", "token", "credential")
# user:password@ in a URL (detect-secrets BasicAuthDetector): the password goes.
BASIC_AUTH = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)([^/\s:@]{3,})(@)")


def redact_secrets(text: str) -> str:
    text = _rules(_active(text)).sub("<SECRET>", text)
    if "://" in text:
        text = BASIC_AUTH.sub(r"\1<SECRET>\3", text)
    lower = text.lower()
    if "aws" in lower:
        text = AWS_SECRET.sub(r"\1<SECRET>", text)
    if any(word in lower for word in _KEYWORD_HINTS):
        text = KEYWORD_SECRET.sub(r"\1<SECRET>", text)
    return text
