"""schemathesis hooks for scripts/fuzz-api's signed-out runs."""

import schemathesis


@schemathesis.check
def refused_with_401(ctx, response, case):
    """Without a valid token every route answers 401, whatever else the request holds: API
    Gateway's JWT authorizer {"message": "Unauthorized"}, or the function's Auth.Unauthorized
    when it verifies tokens itself."""
    if response.status_code != 401:
        raise AssertionError(
            f"expected 401 without a valid token, got {response.status_code}: {response.text[:200]}"
        )
    body = response.json()
    if body not in ({"message": "Unauthorized"},) and body.get("error") != "Auth.Unauthorized":
        raise AssertionError(f"expected API Gateway's Unauthorized or Auth.Unauthorized, got {body!r}")
