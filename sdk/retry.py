"""When to try a request again, and after how long.

Only what the adapter classifies as throttled or retryable is retried; a rejection never is.
The policy is built from tenacity's strategies -- exponential backoff with full jitter
(``wait_random_exponential``), a maximum number of attempts and a maximum elapsed time
(``stop_after_attempt | stop_before_delay``) -- and asked one question per failed attempt:
"how long until the next one, or stop?". Asking rather than letting tenacity sleep is what
lets one delivery routine serve the blocking and the async client alike (the caller sleeps or
awaits). A platform's hint (``Retry-After``, a usage header) replaces the jittered wait.
"""

from __future__ import annotations

from attrs import field, frozen, validators
from tenacity import (
    RetryCallState,
    Retrying,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

__all__ = ["RetryPolicy"]


@frozen(kw_only=True)
class RetryPolicy:
    max_attempts: int = field(default=6, validator=validators.ge(1))
    """Attempts in all, the first included."""
    max_elapsed: float = field(default=120.0, validator=validators.gt(0))
    """Seconds from the first attempt after which no new attempt starts."""
    backoff_base: float = field(default=0.25, validator=validators.gt(0))
    backoff_cap: float = field(default=20.0, validator=validators.gt(0))

    def next_delay(self, attempts: int, elapsed: float, hint: float | None = None) -> float | None:
        """Seconds to wait before attempt ``attempts + 1``, or None to give up.

        ``attempts`` is how many attempts were made, ``elapsed`` the seconds since the first.
        """
        state = RetryCallState(_RETRYING, None, (), {})
        state.attempt_number = attempts
        state.start_time = 0.0
        state.outcome_timestamp = elapsed
        if hint is not None and hint >= 0:
            delay = hint
        else:
            delay = wait_random_exponential(multiplier=self.backoff_base, max=self.backoff_cap)(
                state
            )
        state.upcoming_sleep = delay
        stop = stop_after_attempt(self.max_attempts) | stop_before_delay(self.max_elapsed)
        return None if stop(state) else delay


_RETRYING = Retrying()
