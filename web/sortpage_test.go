package web

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// TestSortPageMatchesStableSort: every page, in both orders, of lists
// with many ties is what a stable sort of the whole list gives, whether
// the page is selected with the heap or by sorting.
func TestSortPageMatchesStableSort(t *testing.T) {
	type row struct{ key, id int }
	less := func(a, b *row) bool { return a.key < b.key }
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 100, 1000, 5000} {
		rows := make([]row, n)
		for i := range rows {
			rows[i] = row{key: r.IntN(max(n/10, 1)), id: i}
		}
		for _, desc := range []bool{false, true} {
			want := slices.Clone(rows)
			sort.SliceStable(want, func(a, b int) bool {
				if desc {
					return less(&want[b], &want[a])
				}
				return less(&want[a], &want[b])
			})
			for _, perPage := range []int{1, 10, 33} {
				for page := 1; page <= 4; page++ {
					pg := paging{page: page, perPage: perPage, desc: desc}
					got := sortPage(slices.Clone(rows), pg, less)
					from, to := pg.window(n)
					if !slices.Equal(got, want[from:to]) {
						t.Fatalf("n=%d desc=%v perPage=%d page=%d: got %v, want %v", n, desc, perPage, page, got, want[from:to])
					}
					// Streamed with a wrong size hint (a filter dropped rows
					// or more arrived): still the stable sort's page.
					for _, hint := range []int{n / 3, n * 3} {
						pr := newPager(pg, less, hint)
						for k := range rows {
							pr.add(&rows[k])
						}
						if got := pr.page(); !slices.Equal(got, want[from:to]) || pr.total() != n {
							t.Fatalf("hint %d n=%d desc=%v perPage=%d page=%d: got %v, want %v", hint, n, desc, perPage, page, got, want[from:to])
						}
					}
				}
			}
		}
	}
}
