//! Civil's built-in corrections to rustrict: ordinary words it misreads, words news needs, and
//! entries whose rating it gets wrong (the module documentation of `profanity` says why).

use rustrict::Type;

/// Ordinary vocabulary that rustrict misreads, exempt everywhere (prose and names). Mostly names
/// and words where the rude part is only a substring, plus identity terms that rustrict rates
/// offensive or sexual: flagging them would bias moderation against the people discussed.
pub(super) const ALLOWED_EVERYWHERE: &[&str] = &[
    // Places. rustrict matches a rude prefix or infix of names its dictionary lacks.
    "shitterton",
    "cockermouth",
    "cockfosters",
    "middlesex",
    "lightwater",
    "bitchfield",
    "phuket",
    "fukushima",
    "fukuoka",
    "kanchenjunga",
    "antofagasta",
    "witwatersrand",
    "chappaquiddick",
    "ngati",
    // People.
    "hancock",
    "hitchcock",
    "alcock",
    "glasscock",
    "cummings",
    "sexton",
    "hooker",
    "hookers",
    "assad",
    "dikshit",
    "dickinson",
    "dickson",
    "dickerson",
    "dicaprio",
    "dijkstra",
    "fdic",
    "fawkes",
    "fuchs",
    "fukuda",
    "fukuyama",
    "fagin",
    "hoare",
    "koontz",
    "schwarzenegger",
    "adolfo",
    // Ordinary words.
    "shiitake",
    "shitake",
    "cocker",
    "cockers",
    "shiite",
    "shiites",
    "shi'ite",
    "shi'ites",
    "sextant",
    "sextants",
    "cumnock",
    "wankel",
    "bitcoin",
    "bitcoins",
    "cracker",
    "crackers",
    "debugger",
    "debuggers",
    "smartwatch",
    "smartwatches",
    "aspic",
    "gobbledygook",
    "gobbledegook",
    "cocked",
    "who're",
    "hoar frost",
    "hoarfrost",
    "great tit",
    "great tits",
    "blue tit",
    "blue tits",
    "coal tit",
    "coal tits",
    "cumbria",
    "sexism",
    "sexist",
    "sexists",
    "same-sex",
    "same sex",
    "breast cancer",
    "breast screening",
    "breastfeeding",
    "breastfed",
    "hate crime",
    "hate crimes",
    "hate speech",
    "homo sapiens",
    "homo erectus",
    "bastardise",
    "bastardised",
    "bastardises",
    "bastardising",
    "bastardize",
    "bastardized",
    "bastardizes",
    "bastardizing",
    "bastardisation",
    "bastardization",
    // Identity terms.
    "gay",
    "gays",
    "lesbian",
    "lesbians",
    "bisexual",
    "transgender",
    "homosexual",
    "homosexuals",
    "homosexuality",
    "homophobia",
    "homophobic",
    "homophobe",
    "homophobes",
    "jew",
    "jews",
    "jewish",
];

/// Standalone words and phrases that news discussion needs, exempt in prose. Names do not get these
/// exemptions: "Hitler_fan" or "moby_dick" is not a name the site should carry.
pub(super) const ALLOWED_IN_PROSE: &[&str] = &[
    // History and extremism, which readers must be able to name.
    "nazi",
    "nazis",
    "hitler",
    "hitler's",
    "holocaust",
    "auschwitz",
    "third reich",
    "fascist",
    "fascists",
    "ghetto",
    "ghettos",
    "kkk",
    "ku klux klan",
    "klan",
    "klansman",
    "klansmen",
    "adolf",
    "himmler",
    "mein kampf",
    // Names and titles containing a rude word as a whole word.
    "dick cheney",
    "moby dick",
    "moby-dick",
    "dick whittington",
    "dick turpin",
    "dick francis",
    "dick van dyke",
    "dick advocaat",
    "philip k. dick",
    "philip k dick",
    "pussy riot",
    "plymouth hoe",
    "offa's dyke",
    "devil's dyke",
    // Ordinary words whose spelling contains a slur.
    "niggle",
    "niggles",
    "niggled",
    "niggling",
    "snigger",
    "sniggers",
    "sniggered",
    "sniggering",
    "retardation",
    "cum laude",
    "magna cum laude",
    "summa cum laude",
];

/// Names that contain an `ALLOWED_IN_PROSE` word but are another word, so that a name may
/// still be one of them (rustrict's false positives hold them too, but names are not read with
/// rustrict's trie alone).
pub(super) const CONTAIN_PROSE_ONLY: &[&str] =
    &["adolfo", "ashkenazi", "ashkenazim", "antifascist", "antifascists", "denazification", "larghetto"];

/// Exact words (case-sensitive) exempt in prose. rustrict's "niger" is also a spelling of a slur, and
/// an exemption in the trie would cancel its obfuscated forms too ("Ni***ger"), so the country is
/// exempted after matching, and only when written exactly so.
pub(super) const EXACT_IN_PROSE: &[&str] = &["Niger", "Nigerien", "Nigeriens"];

/// Entries whose rustrict type we replace.
pub(super) fn retyped() -> Vec<(&'static str, Type)> {
    let profane = Type::PROFANE & Type::MODERATE;
    let sexual = Type::SEXUAL & Type::MODERATE;
    let slur = Type::OFFENSIVE & Type::SEVERE;
    vec![
        // British profanity that rustrict files only as sexual, so it would go unmasked.
        ("twat", profane | Type::SEXUAL & Type::SEVERE),
        ("twats", profane | Type::SEXUAL & Type::SEVERE),
        ("wank", profane | Type::SEXUAL & Type::SEVERE),
        ("wanker", profane | Type::SEXUAL & Type::SEVERE),
        ("wankers", profane | Type::SEXUAL & Type::SEVERE),
        ("bellend", profane | sexual),
        ("knobhead", profane | Type::MEAN & Type::MODERATE),
        // Everyday swearing in Britain, not a slur: rustrict's severe offensive rating would make
        // every "bastard" look like hate speech to moderation.
        ("bastard", profane | Type::MEAN & Type::MILD),
        ("bastards", profane | Type::MEAN & Type::MILD),
        ("buggers", profane),
        // "Ho" as a whole word is too often a name (Ho Chi Minh) or "land ho", and rustrict also
        // matches it as the start of any name it does not know (Hounslow, Hokkaido, Hoskins).
        (" ho", Type::OFFENSIVE & Type::MILD | Type::SEXUAL & Type::MILD),
        // Ethnic slurs that rustrict rates only mildly offensive, below the masking threshold.
        (" paki", slur),
        (" pakis", slur),
        ("towelhead", slur),
        ("towelheads", slur),
        ("raghead", slur),
        ("ragheads", slur),
        ("wetback", slur),
        ("wetbacks", slur),
        (" gook", slur),
        (" gooks", slur),
        (" spic", slur),
        (" spics", slur),
        ("darkie", slur),
        ("darkies", slur),
        // Anatomy, not profanity: reported as sexual, not masked.
        ("anus", sexual),
        ("anal", sexual),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::tests::{filter, masked};

    #[test]
    fn news_words_from_the_requirement_are_not_masked() {
        for word in [
            "Nazi",
            "Hitler",
            "terrorist",
            "suicide",
            "rape",
            "Dick Cheney",
            "Moby Dick",
            "Middlesex",
            "sextant",
            "cum laude",
            "hell",
            "damn",
            "crap",
            "bloody",
        ] {
            assert_eq!(masked(word), word);
        }
    }

    #[test]
    fn identity_terms_are_not_flagged() {
        for text in ["gay marriage", "a lesbian couple", "transgender athletes", "the Jewish community"] {
            let a = filter().analyze(text, '*');
            assert!(!a.sexual && !a.mean && !a.severe && a.masked_words == 0, "{text}: {:?}", a.detected);
        }
    }

    #[test]
    fn niger_the_country_is_not_a_slur() {
        for text in ["The election in Niger was postponed.", "Niger's capital is Niamey.", "Nigerien troops"] {
            let a = filter().analyze(text, '*');
            assert_eq!(a.masked, text);
            assert!(!a.severe, "{text}");
        }
        // Only the country's spelling is exempt.
        for text in ["niger", "NIGER", "Ni***ger", "niiger"] {
            assert!(filter().analyze(text, '*').severe, "{text}");
        }
        assert!(filter().check_name("Niger").is_err());
    }
}
