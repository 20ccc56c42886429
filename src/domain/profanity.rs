// TEMPORARY stand-in until the real module lands; same API.
use std::ops::Range;
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteWordLists { pub banned: Vec<String>, pub suspect: Vec<String>, pub allowed: Vec<String> }
pub struct ProfanityFilter;
pub struct TextAnalysis { pub masked: String, pub masked_spans: Vec<Range<usize>>, pub masked_words: usize, pub severe: bool, pub sexual: bool, pub mean: bool, pub spam: bool, pub banned_words: Vec<String>, pub suspect_words: Vec<String> }
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameRejected(pub String);
impl ProfanityFilter {
    pub fn new(_site: &SiteWordLists) -> Self { ProfanityFilter }
    pub fn analyze(&self, text: &str, _replacement: char) -> TextAnalysis {
        TextAnalysis { masked: text.to_owned(), masked_spans: vec![], masked_words: 0, severe: false, sexual: false, mean: false, spam: false, banned_words: vec![], suspect_words: vec![] }
    }
    pub fn check_name(&self, _name: &str) -> Result<(), NameRejected> { Ok(()) }
}
