"""Exact cosine top-k: agrees with a full sort, deterministic ties, exclusion, batches."""

from __future__ import annotations

import numpy as np
import pytest

from vsdesk.engine.catalog import VectorSet
from vsdesk.engine.embedding import l2_normalise
from vsdesk.engine import search
from vsdesk.engine.query import SAME_VECTOR_COSINE, rank_queries, same_vector_rows
from vsdesk.engine.search import Hit, file_sha256, search_catalog, top_k


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    return l2_normalise(rng.normal(size=(2000, 48))), l2_normalise(rng.normal(size=(5, 48)))


def test_matches_full_sort(data):
    matrix, queries = data
    hits = top_k(matrix, queries, 10)
    for q, row in enumerate(hits):
        scores = matrix @ queries[q]
        expected = np.argsort(-scores, kind="stable")[:10]
        assert [h.index for h in row] == expected.tolist()
        assert np.allclose([h.score for h in row], scores[expected], atol=1e-6)
        assert all(a.score >= b.score for a, b in zip(row, row[1:]))


def test_single_query_equals_batch(data):
    matrix, queries = data
    batch = top_k(matrix, queries, 7)
    for q in range(len(queries)):
        (single,) = top_k(matrix, queries[q], 7)
        # Same ranking; scores equal up to BLAS summation order (matrix-vector vs matrix-matrix).
        assert [h.index for h in single] == [h.index for h in batch[q]]
        assert np.allclose([h.score for h in single], [h.score for h in batch[q]], atol=1e-6)
        assert top_k(matrix, queries[q], 7) == [single]  # and repeatable bit for bit


def test_ties_are_broken_by_index_even_at_the_boundary():
    matrix = np.zeros((10, 2), np.float32)
    matrix[:, 0] = 1.0  # ten identical items
    matrix[7] = [0.0, 1.0]  # one different (worse for the query)
    hits = top_k(matrix, np.array([1.0, 0.0]), 4)[0]
    assert [h.index for h in hits] == [0, 1, 2, 3]
    # Reverse storage order does not change the rule: lowest index first.
    assert [h.index for h in top_k(matrix[::-1].copy(), np.array([1.0, 0.0]), 3)[0]] == [0, 1, 3]


def test_exclusion_and_small_catalogs(data):
    matrix, queries = data
    first = top_k(matrix, queries[:1], 3)[0]
    excluded = top_k(matrix, queries[:1], 3, exclude=[{first[0].index}])[0]
    assert [h.index for h in excluded] == [first[1].index, first[2].index, excluded[2].index]
    assert first[0].index not in [h.index for h in excluded]
    small = matrix[:3]
    assert len(top_k(small, queries[:1], 10)[0]) == 3
    assert len(top_k(small, queries[:1], 10, exclude=[{0, 1}])[0]) == 1
    assert top_k(np.zeros((0, 48), np.float32), queries, 5) == [[]] * 5
    with pytest.raises(ValueError, match="dimensions"):
        top_k(matrix, np.ones((1, 3), np.float32), 5)


def test_search_catalog_excludes_query_by_path_or_content(tmp_path, data):
    matrix, _ = data
    paths = [str(tmp_path / f"{i:04d}.jpg") for i in range(len(matrix))]
    labels = ["even" if i % 2 == 0 else "odd" for i in range(len(matrix))]
    hashes = [f"h{i}" for i in range(len(matrix))]
    hashes[11] = "h10"  # the same content stored twice
    vs = VectorSet(paths, labels, matrix)
    queries = matrix[[10, 10, 10]]
    results = search_catalog(vs, queries, 3, query_paths=[paths[10], None, None],
                             query_hashes=[None, "h10", None], catalog_hashes=hashes)
    assert results[0][0].path != paths[10]  # excluded by path
    assert {r.index for r in results[1]}.isdisjoint({10, 11})  # by content (both copies)
    assert results[2][0].index == 10 and results[2][0].score == pytest.approx(1.0, abs=1e-5)
    assert results[2][0].label == "even"
    # How many were left out as the query itself: said when nothing else is found.
    assert [r.left_out for r in results] == [1, 2, 0]


def test_a_catalog_of_copies_of_the_query_gives_no_result_and_says_how_many_were_left_out(tmp_path, data):
    matrix, _ = data
    vs = VectorSet([str(tmp_path / "a.jpg"), str(tmp_path / "b.jpg")], [None, None], matrix[[3, 3]])
    [results] = search_catalog(vs, matrix[3], 5, query_paths=[str(tmp_path / "a.jpg")], query_hashes=["h3"],
                               catalog_hashes=["h3", "h3"])
    assert results == [] and results.left_out == 2


def test_rows_with_the_querys_own_vector_are_copies_of_it_to_the_last_bits(data):
    """A copy of the query embedded in another batch differs in the last bits (up to 3e-7 here
    with the product model): it is still the query's vector. A close but other image is not."""
    matrix, queries = data
    query = queries[0]
    rng = np.random.default_rng(3)
    again = l2_normalise(query + rng.normal(scale=3e-7, size=query.shape))
    other = l2_normalise(query + rng.normal(scale=0.004, size=query.shape))  # cosine about 0.9996
    assert float(other @ query) < SAME_VECTOR_COSINE
    rows = np.concatenate([matrix[:5], [again, other, query]]).astype(np.float32)
    assert same_vector_rows(rows, queries[:2]) == [{5, 7}, set()]
    assert same_vector_rows(np.zeros((0, 48), np.float32), query) == [set()]


def test_a_query_and_its_copy_check_score_the_catalog_once_with_the_same_results(tmp_path, data, monkeypatch):
    """The copy check used to score the whole catalog a second time per query (4 ms at
    10k x 1280): it now reads the ranking's own scores, and what it finds is unchanged."""
    matrix, queries = data
    rng = np.random.default_rng(5)
    rows = np.concatenate([matrix, [l2_normalise(queries[0] + rng.normal(scale=3e-7, size=48)), queries[1]]])
    rows = rows.astype(np.float32)
    vectors = VectorSet([str(tmp_path / f"{i}.jpg") for i in range(len(rows))], [None] * len(rows), rows)
    passes = []
    real = search.score_blocks

    def counted(matrix, queries, *args, **kwargs):
        passes.append(len(queries))
        return real(matrix, queries, *args, **kwargs)

    monkeypatch.setattr(search, "score_blocks", counted)
    found = rank_queries(None, vectors, None, queries, 5, sources=[None] * 5, query_hashes=[None] * 5)
    assert passes == [5]  # one pass for the batch: ranking and copies together
    monkeypatch.setattr(search, "score_blocks", real)
    before = search_catalog(vectors, queries, 5, copies=same_vector_rows(rows, queries))  # the two-pass way
    assert found == before and [r.left_out for r in found] == [r.left_out for r in before] == [1, 1, 0, 0, 0]
    assert [r.own for r in found] == [{2000}, {2001}, set(), set(), set()]


def test_file_sha256(tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"abc")
    assert file_sha256(f) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert file_sha256(tmp_path / "missing") is None


def test_hit_is_plain_tuple():
    assert Hit(1, 0.5) == (1, 0.5)


def test_database_augmentation_in_row_blocks_equals_the_whole_matrix_at_once(monkeypatch):
    from vsdesk.engine.search import augment_database

    monkeypatch.setattr(search, "_AUGMENT_BLOCK", 16)  # (1,024 rows) small: two blocks and a part of one
    rng = np.random.default_rng(7)
    m = rng.normal(size=(16 * 2 + 7, 12)).astype(np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    sims = m @ m.T
    np.fill_diagonal(sims, -np.inf)
    expected = m.astype(np.float64).copy()
    for i in range(len(m)):
        for j in np.argsort(-sims[i], kind="stable")[:3]:
            expected[i] += max(sims[i, j], 0.0) ** 3 * m[j]
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(augment_database(m, 3, 3.0), expected, atol=1e-5)


def test_database_augmentation_is_reused_for_the_same_catalog_matrix():
    from types import SimpleNamespace

    from vsdesk.engine.search import expand

    rng = np.random.default_rng(3)
    m = rng.normal(size=(50, 8)).astype(np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    rule = SimpleNamespace(n=2, database_n=3, alpha=3.0)
    first, _ = expand(m, m[:1], rule)
    again, _ = expand(m, m[1:2], rule)
    assert again is first  # computed once per catalog matrix, not per query
    other, _ = expand(m.copy(), m[:1], rule)
    assert other is not first and np.array_equal(other, first)


def _fashion_catalog_with_copies(n: int, copies: int):
    """Real-shaped vectors: ``n`` Fashion-MNIST test images (pixels, L2-normalised: tight
    clusters, near ties) and ``copies`` rows holding a file another row holds too (a backup
    folder): most with the file's very vector (the index reuses a known hash's vector), some a
    few last bits off (as embedded in another batch), some files held three or four times."""
    from vsdesk.engine.samples import load_fashion_mnist

    images, _ = load_fashion_mnist("test", download=False)
    base = l2_normalise(images[:n].reshape(n, -1).astype(np.float32))
    rng = np.random.default_rng(18)
    held = rng.choice(n, size=copies, replace=True)  # a file drawn twice is held three times
    extra = base[held].copy()
    noisy = rng.random(copies) < 0.2
    extra[noisy] = l2_normalise(extra[noisy] + rng.normal(scale=3e-7, size=extra[noisy].shape))
    matrix = np.concatenate([base, extra])
    hashes = [f"{i:064x}" for i in range(n)] + [f"{i:064x}" for i in held]
    paths = [f"/photos/{i}.png" for i in range(n)] + [f"/backup/photos/{i}.png" for i in held]
    return VectorSet(paths, [None] * len(paths), matrix), hashes, held


def _ranked_the_old_way(vectors, hashes, queries, k, *, sources, query_hashes, classes=None, kept_to=None,
                        expansion=None):
    """``rank_queries`` as it was: ranked k + every duplicate row deep, then folded."""
    from vsdesk.engine.product import outside_class
    from vsdesk.engine.query import count_files, fold_identical

    known = [h for h in hashes if h]
    other = [outside_class(classes, wanted) for wanted in kept_to] if kept_to is not None else None
    ranked = search_catalog(vectors, queries, k + len(known) - len(set(known)), query_paths=sources,
                            query_hashes=query_hashes, catalog_hashes=hashes, also_exclude=other,
                            copies_from=SAME_VECTOR_COSINE, expansion=expansion)
    for found in ranked:
        fold_identical(found, hashes, k)
        found.left_out = count_files(found.own, hashes)
    return ranked


def _same_results(found, before):
    assert found == before
    assert [r.also for r in found] == [r.also for r in before]
    assert [(r.left_out, r.own) for r in found] == [(r.left_out, r.own) for r in before]


@pytest.mark.parametrize("k", [1, 10, 50])
def test_identical_files_are_folded_as_before_ranking_only_as_deep_as_the_first_k_files_need(k, monkeypatch):
    """A catalog holding files twice (2,500 of 12,500 rows) was ranked k + 2,500 rows deep for
    every query, doubling its time; it is now ranked until its first k files are whole, with the
    same results, the same "also" paths and the same rows left out as the query's own."""
    vectors, hashes, held = _fashion_catalog_with_copies(10_000, 2_500)
    n = len(vectors[0])
    rng = np.random.default_rng(k)
    files, times = np.unique(held, return_counts=True)
    often = files[times >= 3]  # files held three times or more: two rows do not make them whole

    def near(rows):  # photos of the same things, not copies
        return l2_normalise(vectors[2][rows] + rng.normal(scale=0.02, size=(len(rows), 784)))

    # pasted copies of files held twice (left out by their vector), photos near files held
    # three times or more, photos of anything, and a catalog file searched by its path (not its
    # hash) with a vector a little off its own: its other rows are results, that one is left out
    queries = np.concatenate([vectors[2][held[:2]], near(often[:3]), near(rng.choice(10_000, 3)),
                              near(held[5:6])]).astype(np.float32)
    sources = [None] * 8 + [vectors[0][int(held[5])]]
    query_hashes = [None] * len(queries)
    depths = []
    real_best = search._best

    def measured(row, depth, skip):
        depths.append(depth)
        return real_best(row, depth, skip)

    monkeypatch.setattr(search, "_best", measured)
    found = rank_queries(None, vectors, hashes, queries, k, sources=sources, query_hashes=query_hashes)
    assert max(depths) <= 8 * k  # was k + 2,500 for every query
    monkeypatch.setattr(search, "_best", real_best)
    before = _ranked_the_old_way(vectors, hashes, queries, k, sources=sources, query_hashes=query_hashes)
    _same_results(found, before)
    assert sum(len(r.also) for r in found) > 0 and all(len(r) == k for r in found)

    # Kept to a type: a file's rows of another type are left out (here, unlike in a catalog,
    # where one file's rows share their vector, one of a file's rows may be of another type).
    classes = np.array(["top", "shoe", "bag"])[rng.integers(0, 3, n)]
    classes[10_000:] = classes[held]
    for file in often[:3]:
        classes[10_000 + np.flatnonzero(held == file)[0]] = "hat"
    kept_to = ["top", "shoe", *classes[often[:3]], None, "bag", "top", "shoe"]
    found = rank_queries(None, vectors, hashes, queries, k, sources=sources, query_hashes=query_hashes,
                         kept_to=kept_to, classes=classes)
    before = _ranked_the_old_way(vectors, hashes, queries, k, sources=sources, query_hashes=query_hashes,
                                 classes=classes, kept_to=kept_to)
    _same_results(found, before)


def test_identical_files_are_folded_as_before_under_query_expansion():
    """Style's query expansion and database augmentation move a file's rows apart (each row is
    augmented by its own neighbours): the ranking goes deeper until they are all in, as before."""
    from types import SimpleNamespace

    vectors, hashes, held = _fashion_catalog_with_copies(1_500, 400)
    rule = SimpleNamespace(n=3, database_n=2, alpha=3.0)
    queries = np.concatenate([vectors[2][held[:2]], vectors[2][[5, 700, 1400]]]).astype(np.float32)
    sources, query_hashes = [None] * 5, [None] * 5
    found = rank_queries(SimpleNamespace(query_expansion=rule), vectors, hashes, queries, 10,
                         sources=sources, query_hashes=query_hashes)
    before = _ranked_the_old_way(vectors, hashes, queries, 10, sources=sources, query_hashes=query_hashes,
                                 expansion=rule)
    _same_results(found, before)


def test_a_search_kept_to_a_type_counts_the_rows_left_out_once_per_query_not_per_file_and_step():
    """Copies in folders of other labels: a kept-to-type search leaves many of a file's rows
    out, and each of the first k files held more than once was checked against the whole set
    left out at every deepening step (116-149 ms a query where ranking k + every copy deep took
    69). The rows left out are read once per query; the results are as before."""

    class CountedHashes(list):  # the catalog's hashes, its lookups counted
        lookups = 0

        def __getitem__(self, index):
            CountedHashes.lookups += 1
            return super().__getitem__(index)

    vectors, hashes, held = _fashion_catalog_with_copies(10_000, 5_000)
    n, rng = len(hashes), np.random.default_rng(48)
    classes = np.array(["top", "shoe", "bag"])[rng.integers(0, 3, n)]  # a copy's label is its folder's
    queries = l2_normalise(vectors[2][rng.choice(10_000, 4)] + rng.normal(scale=0.02, size=(4, 784)))
    queries = queries.astype(np.float32)
    kw = dict(sources=[None] * 4, query_hashes=[None] * 4, classes=classes, kept_to=["top", "shoe", "bag", "top"])
    counted = CountedHashes(hashes)
    found = rank_queries(None, vectors, counted, queries, 48, **kw)
    # Each query: its hits' hashes looked up (a few hundred rows deep at most) and the rows left
    # out (about two thirds of the catalog) read once: not 48 files x steps x 10,000 rows.
    assert CountedHashes.lookups < 4 * n
    _same_results(found, _ranked_the_old_way(vectors, hashes, queries, 48, **kw))
