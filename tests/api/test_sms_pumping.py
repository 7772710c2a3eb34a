"""SMS pumping: numbers must be mobiles of an allow-listed country, and codes have per-address and global
hourly budgets shared by every worker, with a proof step when the budget is tight (issue #13 item 5)."""

from __future__ import annotations

import secrets
import time

import pytest

from api.sms_proof import sign
from tests.support.client import ApiClient, error_codes

REQUEST = "mutation($p: String!, $f: String) { requestLoginCode(phone: $p, proof: $f) { maskedPhone } }"


def field_of(body: dict) -> str:
    return body["errors"][0]["extensions"]["fieldErrors"][0]["field"]


@pytest.mark.parametrize("phone", ["+8521234", "+85212345678", "+8529123456", "+85361234", "+886212345678",
                                   "+8612345678901", "+861381380000"])
async def test_numbers_that_cannot_be_mobiles_there_are_refused(api: ApiClient, phone: str) -> None:
    body = await api.gql(REQUEST, {"p": phone})
    assert error_codes(body) == ["BAD_USER_INPUT"] and field_of(body) == "phone", body
    assert api.sink.latest == {}


@pytest.mark.parametrize("phone", ["+85291234567", "+85366123456", "+886912345678", "13800138000"])
async def test_real_mobiles_of_allow_listed_countries_get_codes(api: ApiClient, phone: str) -> None:
    assert "errors" not in await api.gql(REQUEST, {"p": phone})


async def test_one_address_has_an_hourly_budget_shared_by_workers(make_client) -> None:
    budget = {"sms_per_address_per_hour": 5, "sms_proof_after_per_address": 100}
    first, second = make_client(**budget), make_client(**budget)
    answers = [await (first if i % 2 else second).gql(REQUEST, {"p": f"1390000{i:04d}"}) for i in range(8)]
    sent = [a for a in answers if "errors" not in a]
    assert len(sent) == 5, answers
    assert all(error_codes(a) == ["RATE_LIMITED"] for a in answers[5:])


async def test_the_program_has_a_global_budget(make_client) -> None:
    api: ApiClient = make_client(sms_global_per_hour=4, sms_proof_above_global_percent=1000)
    answers = [await api.gql(REQUEST, {"p": f"1370000{i:04d}"}) for i in range(6)]
    assert sum("errors" not in a for a in answers) == 4
    assert error_codes(answers[-1]) == ["RATE_LIMITED"]


async def test_a_tight_budget_asks_for_a_signed_device_nonce(make_client) -> None:
    api: ApiClient = make_client(sms_proof_after_per_address=2, sms_proof_secret="s" * 32)
    for i in range(2):
        assert "errors" not in await api.gql(REQUEST, {"p": f"1360000{i:04d}"})
    phone = "+8613600009999"
    asked = await api.gql(REQUEST, {"p": phone})
    assert error_codes(asked) == ["BAD_USER_INPUT"] and field_of(asked) == "proof", asked
    wrong = sign("x" * 32, int(time.time()), secrets.token_hex(8), phone)
    assert field_of(await api.gql(REQUEST, {"p": phone, "f": wrong})) == "proof"
    proof = sign("s" * 32, int(time.time()), secrets.token_hex(8), phone)
    assert "errors" not in await api.gql(REQUEST, {"p": phone, "f": proof})
    replay = await api.gql(REQUEST, {"p": "+8613600008888", "f": proof})
    assert field_of(replay) == "proof", "a nonce is good once (and for its own phone)"


async def test_without_a_verifier_a_tight_budget_sends_nothing(make_client) -> None:
    api: ApiClient = make_client(sms_proof_after_per_address=1)
    assert "errors" not in await api.gql(REQUEST, {"p": "13500000001"})
    body = await api.gql(REQUEST, {"p": "13500000002", "f": "anything"})
    assert field_of(body) == "proof"
    assert len(api.sink.latest) == 1
