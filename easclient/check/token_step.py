"""The sign-in step for bearer tokens (``--auth oauth`` / ``bearer``): get the token as the
device would, and show what the server will judge it by — audience, scopes, user, expiry — from
the JWT's payload (decoded, never verified here, never printed whole: RFC 7519 4.1).
"""

from __future__ import annotations

import datetime as dt
import time

from easclient.client.auth import AuthError, BearerAuth, RefreshingBearerAuth, jwt_claims

from .context import CheckContext
from .report import Result, Step

NAME, TITLE = "token", "sign-in token"
EXCHANGE_AUDIENCES = ("https://outlook.office365.com", "00000002-0000-0ff1-ce00-000000000000")
EAS_SCOPE = "EAS.AccessAsUser.All"
#: A token this close to its expiry is renewed before use (MSAL's own margin is 5 minutes).
SOON = 300


def token_step(ctx: CheckContext, now: float | None = None) -> Step | None:
    """None (no row) unless the device signs in with a bearer token."""
    credential = ctx.options.credential
    if isinstance(credential, BearerAuth):
        token = credential.token
    elif isinstance(credential, RefreshingBearerAuth):
        try:
            token = credential.current_token()
        except AuthError as exc:
            return Step(
                NAME,
                TITLE,
                Result.FAIL,
                f"no token: {exc}",
                why="Without a token the device cannot sign in.",
                fix="Sign in again (--auth oauth); check --client-id, --tenant and --authority.",
            )
    else:
        return None
    claims = jwt_claims(token)
    if not claims:
        return Step(
            NAME,
            TITLE,
            Result.PASS,
            "an opaque token (not a JWT): the server alone can judge it",
            required=False,
        )
    now = time.time() if now is None else now
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else [a for a in aud or [] if isinstance(a, str)]
    scopes = str(claims.get("scp", "")).split()
    user = claims.get("upn") or claims.get("preferred_username") or claims.get("unique_name")
    exp = claims.get("exp")
    left = float(exp) - now if isinstance(exp, int | float) else None
    data = {"audience": audiences, "scopes": scopes, "user": user, "expires_in": left}
    parts = [f"audience {', '.join(audiences) or 'none'}", f"scopes {' '.join(scopes) or 'none'}"]
    if user:
        parts.append(f"user {user}")
    if left is not None and isinstance(exp, int | float):
        when = dt.datetime.fromtimestamp(float(exp), dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        parts.append(f"expires {when} (in {left / 60:.0f} min)")
    seen = "; ".join(parts)
    problems = []
    if not any(a.rstrip("/") in EXCHANGE_AUDIENCES for a in audiences):
        problems.append("its audience is not Exchange Online (https://outlook.office365.com)")
    if EAS_SCOPE not in scopes:
        problems.append(f"it lacks the {EAS_SCOPE} scope")
    if left is not None and left <= 0:
        problems.append("it has expired")
    if problems:
        return Step(
            NAME,
            TITLE,
            Result.FAIL,
            f"{seen}: {'; '.join(problems)}",
            why="Exchange refuses a token for another audience, without the ActiveSync scope, or "
            "expired, with HTTP 401.",
            fix="Ask for the scope https://outlook.office365.com/EAS.AccessAsUser.All (the "
            "default of --scope), granted to your app registration.",
            data=data,
        )
    if left is not None and left < SOON:
        return Step(NAME, TITLE, Result.WARN, f"{seen}: expires soon", required=False, data=data)
    return Step(NAME, TITLE, Result.PASS, seen, data=data)
