package password

import (
	_ "embed"
	"strings"
	"sync"
)

// The lists of breached passwords shipped with the portal, most common
// first: the top 10,000 of the ten million passwords in Mark Burnett's
// breach corpus as published in SecLists (MIT License), and those of 12
// characters or more down to rank 999,999. breached/README.md says where
// they came from and how to check them.
var (
	//go:embed breached/top-10000.txt
	breachedTop10000 string
	//go:embed breached/top-1000000-long.txt
	breachedTop1000000Long string
)

// breachedSet holds every listed password in lower case. It is built on
// first use (about 54,000 entries in 3 MB, taking tens of milliseconds;
// BenchmarkBreachedSet) so that commands which never check a password do
// not pay for it; a look-up is then one map access.
var breachedSet = sync.OnceValue(buildBreachedSet)

func buildBreachedSet() map[string]struct{} {
	// One lowered copy of the lists; the keys are slices of it.
	all := strings.ToLower(breachedTop10000 + "\n" + breachedTop1000000Long)
	set := make(map[string]struct{}, strings.Count(all, "\n")+1)
	for line := range strings.Lines(all) {
		if line = strings.TrimSuffix(line, "\n"); line != "" {
			set[line] = struct{}{}
		}
	}
	return set
}

// isBreached reports whether password, already in Normalize's form, is on
// the shipped lists in any letter case. It catches what zxcvbn's shorter
// list of 30,000 misses, such as "Findaupair007", which zxcvbn scores as
// hard to guess although it is in every cracker's first wordlist.
func isBreached(password string) bool {
	_, ok := breachedSet()[strings.ToLower(password)]
	return ok
}
