"""The rate and time left of a counted step (``tasks.Rate``), on a fake clock: the one boundary
(real seconds would make the test slow and the figures vary)."""

from __future__ import annotations

from vsdesk.engine.tasks import Rate, RateProgress, time_left_words


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run_steps(rate: Rate, clock: FakeClock, total: int, steps: list[tuple[float, int]]) -> list[str]:
    """Report (seconds later, items more) steps of a run of ``total``; the words after each."""
    done, said = 0, []
    rate.update(0, total)
    for seconds, items in steps:
        clock.now += seconds
        done += items
        rate.update(done, total)
        said.append(rate.words())
    return said


def test_nothing_is_said_until_some_seconds_and_some_images_are_done():
    clock = FakeClock()
    rate = Rate(clock)
    said = run_steps(rate, clock, 1000, [(1.0, 10)] * 4)  # 4 s, 40 images: too soon
    assert said == ["", "", "", ""]
    said = run_steps(rate, clock, 1000, [(1.0, 1)] * 10)  # 10 s but 10 images: too few
    assert said == [""] * 10
    said = run_steps(rate, clock, 1000, [(1.0, 10)] * 6)
    assert said[-1] == "10 images/s · about 2 min left"  # 940 left at 10/s: 94 s


def test_the_rate_is_smoothed_and_the_time_left_does_not_jump_about():
    """32-image batches at ~20 images/s, one of them held up for 5 s (another program, a slow
    file): the time left moves a little, in the minutes people say, and not back and forth."""
    clock = FakeClock()
    rate = Rate(clock)
    steps = [(1.6, 32)] * 20 + [(5.0, 32)] + [(1.6, 32)] * 10
    said = run_steps(rate, clock, 5000, steps)
    shown = [words for words in said if words]
    assert shown[0].startswith("20 images/s · about 4 min left"), shown
    lefts = [words.split(" · ")[1] for words in shown]
    assert set(lefts) <= {"about 4 min left", "about 3 min left"}, lefts
    changes = sum(1 for a, b in zip(lefts, lefts[1:]) if a != b)
    assert changes <= 1, lefts  # 4 min, then 3 min: never back
    after_the_slow_batch = said[20]
    assert 15 <= int(after_the_slow_batch.split()[0]) < 20, after_the_slow_batch  # not the batch's 6/s


def test_a_new_step_starts_again():
    clock = FakeClock()
    rate = Rate(clock)
    assert run_steps(rate, clock, 1000, [(1.0, 10)] * 8)[-1]
    # "checking 1792 files" done, "indexing 300 files" begins: the checking rate says nothing of it
    assert run_steps(rate, clock, 300, [(1.0, 5)] * 3) == ["", "", ""]


def test_time_left_is_rounded_as_a_person_says_it():
    assert [time_left_words(s) for s in (0, 4, 12, 41, 59, 61, 150, 3500, 3700, 4800, 7300)] == [
        "", "a few seconds left", "about 20 s left", "about 50 s left", "about 60 s left", "about 1 min left",
        "about 2 min left", "about 58 min left", "about 1 h left", "about 1 h 20 min left", "about 2 h left"]


def test_rate_progress_adds_the_words_to_the_message_of_a_counted_step_only():
    clock = FakeClock()
    seen = []
    progress = RateProgress(lambda done, total, message="": seen.append((done, total, message)), clock)
    progress(0, 0, "scanning folders")
    progress(0, 100, "indexing 100 files")
    for done in range(10, 100, 10):
        clock.now += 1.0
        progress(done, 100, "indexing")
    progress(100, 100, "indexed")
    assert seen[0] == (0, 0, "scanning folders") and seen[1] == (0, 100, "indexing 100 files")
    assert seen[5] == (40, 100, "indexing")  # 4 s: too soon
    assert seen[7] == (60, 100, "indexing · 10 images/s · a few seconds left")
    assert seen[-1] == (100, 100, "indexed")  # done: nothing left to estimate
