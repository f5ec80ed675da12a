package dedupe

import "github.com/wirefeed/wirefeed"

// sentenceItemsPerStory is how many of a feed's recent items the sentence
// counts cover per item a sentence must recur in: BoilerplateStories
// occurrences within 16 times as many items.
const sentenceItemsPerStory = 16

// SentenceItems implements wirefeed.SentenceWindow: a sentence is learned
// as a feed's boilerplate when it recurs in BoilerplateStories of the
// feed's last max(64, 16 × BoilerplateStories) items, so the store counts
// that many.
func (e *Engine) SentenceItems() int {
	return max(wirefeed.DefaultSentenceItems, sentenceItemsPerStory*e.opt.BoilerplateStories)
}
