"""The status page's words in Korean and English (the seed's EnergyStatusAlert texts first)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

TEXTS: dict[str, dict[str, str]] = {
    "ko": {
        "title": "출금 네트워크 상태",
        "sufficient": "✅ 네트워크 수수료 무료 (에너지 충분)",
        "sufficient_detail": "지금 출금하면 네트워크 수수료 없이 바로 처리됩니다.",
        "congested": "⚠️ 현재 네트워크가 혼잡합니다",
        "congested_detail": "에너지가 부족합니다. 두 가지 방법 중 하나를 선택할 수 있습니다.",
        "unknown": "ℹ️ 네트워크 상태를 확인하는 중입니다",
        "unknown_detail": "잠시 후 다시 확인해 주세요. 출금이 지연될 수 있습니다.",
        "choices": "선택 가능한 방법",
        "wait_title": "⏳ 기다리기 (수수료 무료)",
        "wait_body": "예상 대기 시간: {wait}",
        "wait_unknown": "예상 대기 시간을 계산할 수 없습니다",
        "now_title": "⚡ 지금 출금하기",
        "now_body": "네트워크 수수료 {fee}를 직접 지불하면 바로 출금됩니다",
        "now_unknown": "현재 수수료를 확인할 수 없습니다",
        "minutes": "약 {n}분",
        "hours": "약 {h}시간 {m}분",
        "updated": "마지막 갱신",
        "refresh": "이 페이지는 {n}초마다 자동으로 새로 고쳐집니다.",
        "other_lang": "English",
        "maintenance_title": "🛠️ 점검 안내",
        "maintenance_scheduled": "{start}부터 {end}까지 점검이 예정되어 있습니다. "
        "이 시간에는 출금이 지연될 수 있습니다.",
        "maintenance_active": "점검 중입니다 ({end}까지 예정). 출금이 지연될 수 있습니다.",
    },
    "en": {
        "title": "Withdrawal network status",
        "sufficient": "✅ No network fee (enough energy)",
        "sufficient_detail": "Withdrawals go out right away, with no network fee.",
        "congested": "⚠️ The network is congested right now",
        "congested_detail": "Energy is short. You can choose one of two options.",
        "unknown": "ℹ️ Checking the network status",
        "unknown_detail": "Please check again shortly. Withdrawals may be delayed.",
        "choices": "Your options",
        "wait_title": "⏳ Wait (no fee)",
        "wait_body": "Estimated wait: {wait}",
        "wait_unknown": "The wait cannot be estimated right now",
        "now_title": "⚡ Withdraw now",
        "now_body": "Pay the {fee} network fee yourself and withdraw right away",
        "now_unknown": "The current fee is not available",
        "minutes": "about {n} min",
        "hours": "about {h} h {m} min",
        "updated": "Last updated",
        "refresh": "This page refreshes itself every {n} seconds.",
        "other_lang": "한국어",
        "maintenance_title": "🛠️ Maintenance",
        "maintenance_scheduled": "Maintenance is scheduled from {start} to {end}. "
        "Withdrawals may be delayed during this time.",
        "maintenance_active": "Maintenance is under way (until {end}). Withdrawals may be delayed.",
    },
}


def wait_text(minutes: int | None, lang: str) -> str | None:
    """'약 12분' / 'about 12 min' (hours past 90 minutes); None when unknown."""
    if minutes is None:
        return None
    t = TEXTS[lang]
    minutes = max(1, minutes)
    if minutes <= 90:
        return t["minutes"].format(n=minutes)
    return t["hours"].format(h=minutes // 60, m=minutes % 60)


def fee_text(trx: Decimal | None) -> str | None:
    """'~6.4 TRX' (one decimal, as a user reads a price); None when no quote."""
    if trx is None:
        return None
    return f"~{trx.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} TRX"
