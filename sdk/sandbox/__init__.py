"""A local emulator of the messaging platforms: what moto is for AWS, for mmtkit.

It speaks TikTok Business Messaging, the TikTok Events API, the WhatsApp Cloud API, the
Messenger Send API and Meta's Conversions API with their real paths, envelopes and error
codes; enforces their auth, limits and reply windows; injects faults; plays customers who open
conversations by signed webhook; and keeps a ledger of everything it accepted.

    with Sandbox() as sb:
        opened = sb.customers.tiktok_message("hi")
        ...  # point a client at sb.tiktok_base_url and send
        assert len(sb.ledger.entries(platform="tiktok", direction="outbound")) == 1

The platform side (signatures, envelopes) is written independently of ``mmtkit.adapters`` and
never imports it, so a shared misreading cannot make both sides agree and both be wrong.
"""

from mmtkit.sandbox.config import SandboxConfig, load_config, parse_config
from mmtkit.sandbox.customers import CustomerAction
from mmtkit.sandbox.ledger import Ledger, LedgerEntry
from mmtkit.sandbox.server import Sandbox, SandboxStartError

__all__ = [
    "CustomerAction",
    "Ledger",
    "LedgerEntry",
    "Sandbox",
    "SandboxConfig",
    "SandboxStartError",
    "load_config",
    "parse_config",
]
