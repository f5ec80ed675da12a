package dedupe

import (
	"slices"
	"strings"
	"testing"
)

func TestTokensByScript(t *testing.T) {
	cases := []struct {
		name, in, want string
		words          int // length in words, rounded
	}{
		{"chinese bigrams", "外交部长会谈。", "外交 交部 部长 长会 会谈", 3},
		{"japanese mixed with digits", "首相は１７日、訪米した", "首相 相は 17 日 訪米 米し した", 5},
		{"one-character runs", "2026年8月", "2026 年 8 月", 3},
		{"thai", "ไทยกับลาว", "ไท ทย ยก กั ับ บล ลา าว", 2},
		{"korean words", "한일 외교장관, 셔틀외교 이어가기로", "한일 외교장관 셔틀외교 이어가기로", 6},
		{"arabic words", "قالت وزارة الخارجية", "قالت وزاره الخارجيه", 3},
		{"latin around cjk", "APEC首脳会議", "apec 首脳 脳会 会議", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(Words(tc.in), " "); got != tc.want {
				t.Errorf("Words(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got := wordsOf(countUnits(tc.in, 1<<20)); got != tc.words {
				t.Errorf("countUnits(%q) = %d words, want %d", tc.in, got, tc.words)
			}
		})
	}
}

// TestFoldVariants checks that the spellings a copy desk changes compare as
// the same tokens, and that letters that make another word stay apart.
func TestFoldVariants(t *testing.T) {
	same := []struct{ name, a, b string }{
		{"arabic hamza forms", "أعلنت إثيوبيا آخر", "اعلنت اثيوبيا اخر"},
		{"arabic ta marbuta and alef maksura", "الحكومة المصرية على", "الحكومه المصريه علي"},
		{"arabic tatweel and harakat", "الـرئيسُ قالَ", "الرئيس قال"},
		{"persian yeh, kaf and zwnj", "می\u200cگوید کشور ایران", "ميگويد كشور ايران"},
		{"arabic-indic and persian digits", "١٩ ۱۹ 19", "19 19 19"},
		{"russian yo", "Пётр ещё объём", "Петр еще объем"},
		{"greek tonos and final sigma", "Η Ελλάδα υπέγραψε τις", "Η ΕΛΛΑΔΑ ΥΠΕΓΡΑΨΕ ΤΙΣ"},
		{"french unaccented capitals", "États-Unis À Paris", "Etats-Unis A Paris"},
		{"ligatures", "cœur Æsop", "coeur aesop"},
		{"german sharp s", "Straße Maßnahmen", "Strasse Massnahmen"},
		{"turkish", "İstanbul Irak'ın kırmızı", "ISTANBUL Irakın KIRMIZI"},
		{"ukrainian apostrophes", "обʼєднання п'ять", "об’єднання п’ять"},
		{"full-width forms", "ＡＰＥＣ　１７日", "APEC 17日"},
		{"thai digits", "๑๙ ส.ค. ๑.๖ กิโลเมตร ๓,๙๐๐", "19 ส.ค. 1.6 กิโลเมตร 3,900"},
		{"korean middle dot", "한ㆍ미 정상", "한·미 정상"},
	}
	for _, tc := range same {
		t.Run(tc.name, func(t *testing.T) {
			if a, b := Words(tc.a), Words(tc.b); !slices.Equal(a, b) {
				t.Errorf("Words(%q) = %q, Words(%q) = %q; want the same", tc.a, a, tc.b, b)
			}
		})
	}
	apart := []struct{ name, a, b string }{
		{"russian short i", "мой", "мои"},
		{"ukrainian yi", "її", "ii"},
		{"hangul syllables", "한국", "한극"},
		{"devanagari vowel signs", "किताब", "कताब"},
	}
	for _, tc := range apart {
		t.Run(tc.name, func(t *testing.T) {
			if a, b := Words(tc.a), Words(tc.b); slices.Equal(a, b) {
				t.Errorf("Words(%q) = Words(%q) = %q; want them apart", tc.a, tc.b, a)
			}
		})
	}
}

func TestSplitSentencesInEveryScript(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"中方表示欢迎。日方表示感谢。", []string{"中方表示欢迎。", "日方表示感谢。"}},
		{"首相は述べた。「協力を強化する」と語った。", []string{"首相は述べた。", "「協力を強化する」と語った。"}},
		{"قال الوزير إن الاتفاق مهم. وأضاف أن المحادثات ستستمر.", []string{"قال الوزير إن الاتفاق مهم.", "وأضاف أن المحادثات ستستمر."}},
		{"هل ستستمر المحادثات؟ قال الوزير نعم.", []string{"هل ستستمر المحادثات؟", "قال الوزير نعم."}},
		{"Министр сказал. Переговоры продолжатся.", []string{"Министр сказал.", "Переговоры продолжатся."}},
		{"양국은 합의했다. 회의는 내년에 열린다.", []string{"양국은 합의했다.", "회의는 내년에 열린다."}},
	}
	for _, tc := range cases {
		if got := splitSentences(nil, tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("splitSentences(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFurnitureInEveryLanguage(t *testing.T) {
	cases := []struct {
		line string
		want bool
	}{
		{"Читайте также: Москва и Астана договорились о водах Урала", true},
		{"Lire aussi : Le Mali et la Mauritanie créent une force commune", true},
		{"À LIRE AUSSI | La France et l'Algérie relancent leur dialogue", true},
		{"Lea también: Colombia y Venezuela reabren la frontera", true},
		{"Leia também: Brasil e Argentina assinam acordo de gás", true},
		{"Lesen Sie auch: Streit am Brenner spitzt sich zu", true},
		{"اقرأ أيضا: مصر وإثيوبيا تستأنفان المفاوضات", true},
		{"اقرا ايضا: مصر واثيوبيا تستانفان المفاوضات", true}, // hamza dropped
		{"بیشتر بخوانید: ایران و عراق توافق کردند", true},
		{"Ayrıca okuyun: Türkiye ile Irak anlaşma imzaladı", true},
		{"相关新闻：中日外长举行会谈", true},
		{"【関連記事】日韓首脳が電話会談", true},
		{"[관련기사] 한일 외교장관 회담", true},
		{"Διαβάστε επίσης: Συμφωνία Ελλάδας και Αιγύπτου", true},
		{"Подписывайтесь на наш канал в Telegram, чтобы первыми узнавать главные новости.", true},
		{"Abonnez-vous à notre newsletter pour recevoir l'essentiel de l'actualité.", true},
		{"扫码关注我们的微信公众号，获取更多国际新闻。", true},
		{"相关新闻", true}, // a label: four characters are two words
		{"Set CNA as your preferred source on Google", true},
		// copy
		{"Министр иностранных дел заявил, что переговоры продолжатся в сентябре.", false},
		{"外交部副部长孙立华在会后表示，各方同意加快磋商步伐。", false},
		{"وقال وزير الخارجية إن بلاده تتعامل بإيجابية مع جهود الوساطة.", false},
	}
	for _, tc := range cases {
		if got := isFurniture(tc.line); got != tc.want {
			t.Errorf("isFurniture(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}

func TestCaptions(t *testing.T) {
	cases := []struct {
		line string
		want bool
	}{
		{"Delegates attend a meeting at the WTO in Geneva, August 16, 2026. REUTERS/Denis Balibouse", true},
		{"Philippine and Japanese officials shake hands in Manila on Monday. (Photo: AP)", true},
		{"電話会談に臨む首相＝17日、首相官邸", true},
		{"17일 서울에서 열린 한미 조선 협력 실무협의체 첫 회의. [연합뉴스 자료사진]", true},
		{"Вид на реку Урал в районе Оренбурга. (Фото: ТАСС)", true},
		{"8月16日，中国—东盟高官会在北京举行。（图片来源：新华社）", true},
		{"The ministry said it had seen the photographs.", false},
	}
	for _, tc := range cases {
		if got := isCaption(tc.line, quickUnits(tc.line, 1<<20)); got != tc.want {
			t.Errorf("isCaption(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}

func TestStripDatelineInEveryLanguage(t *testing.T) {
	cases := []struct{ in, want string }{
		{"МОСКВА, 17 августа. /ТАСС/. Россия и Казахстан подписали", "Россия и Казахстан подписали"},
		{"МОСКВА, 17 авг — РИА Новости. Министерство иностранных дел", "Министерство иностранных дел"},
		{"Київ, 17 серпня (Укрінформ) – Україна та Польща домовилися", "Україна та Польща домовилися"},
		{"Bogotá, 17 ago (EFE).- Los Gobiernos de Colombia", "Los Gobiernos de Colombia"},
		{"MADRID, 17 (EUROPA PRESS) Los Gobiernos de España", "Los Gobiernos de España"},
		{"القاهرة (رويترز) - قالت وزارة الخارجية", "قالت وزارة الخارجية"},
		{"به گزارش ایرنا، وزیر کشور ایران", "وزیر کشور ایران"},
		{"新华社北京8月17日电（记者王晓明）中国与东盟国家", "中国与东盟国家"},
		{"据新华社报道，中国与东盟国家", "中国与东盟国家"},
		{"【北京共同】中国税関総署は", "中国税関総署は"},
		{"［東京 １７日 ロイター］ - 日本と韓国の首脳は", "日本と韓国の首脳は"},
		{"(서울=연합뉴스) 김지훈 기자 = 한국과 미국이", "한국과 미국이"},
		{"กรุงเทพฯ 17 ส.ค. (สำนักข่าวไทย) - รัฐมนตรี", "รัฐมนตรี"},
		// not datelines
		{"Россия и Казахстан подписали соглашение.", "Россия и Казахстан подписали соглашение."},
		{"中国与东盟国家16日至17日在北京举行会议。", "中国与东盟国家16日至17日在北京举行会议。"},
	}
	for _, tc := range cases {
		if got, _ := stripDateline(tc.in); got != tc.want {
			t.Errorf("stripDateline(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
