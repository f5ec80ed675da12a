package dedupe

import "testing"

func TestTitleKeyStaticRules(t *testing.T) {
	cases := []struct{ in, want string }{
		{"UPDATE 2-Chile, Bolivia to restore ties - Reuters", "chile bolivia to restore ties"},
		{"WTO talks collapse - Bloomberg.com", "wto talks collapse"},
		{"日韓首脳が電話会談、輸出管理の対話再開で一致（ロイター） - Yahoo!ニュース", "日韓首脳が電話会談 輸出管理の対話再開で一致"},
		{"【速報】中国、日本産水産物の輸入を一部再開", "中国 日本産水産物の輸入を一部再開"},
		{"[속보] 한일 외교장관 회담…셔틀외교 지속", "한일 외교장관 회담 셔틀외교 지속"},
		{"(LEAD) N. Korea fires ballistic missile into East Sea", "n korea fires ballistic missile into east sea"},
		{"СРОЧНО: Россия и Индия договорились", "россия и индия договорились"},
		{"ÚLTIMA HORA: Perú y Chile acuerdan un plan conjunto", "peru y chile acuerdan un plan conjunto"},
		{"DIRECT. Soudan : les FSR acceptent une trêve", "soudan les fsr acceptent une treve"},
		{"مباشر| السودان: الدعم السريع يقبل هدنة", "السودان الدعم السريع يقبل هدنه"},
		{"“Chile and Bolivia agree to restore ambassadors”", "chile and bolivia agree to restore ambassadors"},
		// kept: a long tail, or a head too short to be a headline alone
		{"UK - EU talks resume in Brussels next week", "uk eu talks resume in brussels next week"},
		{"Talks resume - officials from both sides meet again in Geneva", "talks resume officials from both sides meet again in geneva"},
	}
	for _, tc := range cases {
		if got := titleKey(tc.in); got != tc.want {
			t.Errorf("titleKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestTitleTailsLearned checks that a recurring long tail is stripped once
// learned, and that learned tails name the item's source.
func TestTitleTailsLearned(t *testing.T) {
	const title = "Kenya and Ethiopia agree to reopen border crossing | South China Morning Post Asia Edition"
	before := parseTitle(title, nil)
	if before.key == "kenya and ethiopia agree to reopen border crossing" {
		t.Fatalf("a six-word tail was stripped without being learned")
	}
	if len(before.tails) == 0 {
		t.Fatalf("the tail was not offered for learning")
	}
	learned := map[uint64]bool{before.tails[0]: true}
	after := parseTitle(title, func(h uint64) bool { return learned[h] })
	if after.key != "kenya and ethiopia agree to reopen border crossing" || after.source != "south china morning post asia edition" {
		t.Errorf("learned: key %q source %q", after.key, after.source)
	}

	// A pool: the pool's name and, inside it, the source's.
	pool := "日韓首脳が電話会談、輸出管理の対話再開で一致（ロイター） - Yahoo!ニュース"
	all := map[uint64]bool{}
	for _, h := range parseTitle(pool, nil).tails {
		all[h] = true
	}
	got := parseTitle(pool, func(h uint64) bool { return all[h] })
	if got.source != "yahoo!ニュース\x1fロイター" {
		t.Errorf("pool title source %q", got.source)
	}
}
