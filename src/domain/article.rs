use super::Invalid;

/// The URL name of an article: lowercase letters, digits and single hyphens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(input: &str) -> Result<Slug, Invalid> {
        let slug = input.trim();
        let ok = !slug.is_empty()
            && slug.len() <= 100
            && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !slug.starts_with('-')
            && !slug.ends_with('-')
            && !slug.contains("--");
        if ok {
            Ok(Slug(slug.to_owned()))
        } else {
            Err(Invalid::new(
                "slug",
                "A slug has 1 to 100 lowercase letters, digits and single hyphens, like 'budget-vote-2026'.",
            ))
        }
    }

    /// A slug made from a title, for the admin form's suggestion.
    pub fn from_title(title: &str) -> String {
        let mut slug = String::new();
        for c in title.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        slug.truncate(100);
        slug.trim_end_matches('-').to_owned()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Everything an editor submits for an article, parsed.
#[derive(Debug, Clone)]
pub struct ArticleDraft {
    pub slug: Slug,
    pub title: String,
    pub summary: String,
    pub body_md: String,
    pub author_name: String,
    pub comments_open: bool,
}

pub struct ArticleInput<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    pub author_name: &'a str,
    pub comments_open: bool,
}

fn bounded(field: &'static str, label: &str, value: &str, min: usize, max: usize) -> Result<String, Invalid> {
    let value = value.trim();
    let chars = value.chars().count();
    if chars < min {
        return Err(Invalid::new(field, format!("Enter the {label}.")));
    }
    if chars > max {
        return Err(Invalid::new(field, format!("The {label} has at most {max} characters.")));
    }
    Ok(value.to_owned())
}

impl ArticleDraft {
    pub fn parse(input: ArticleInput<'_>) -> Result<ArticleDraft, Invalid> {
        Ok(ArticleDraft {
            slug: Slug::parse(input.slug)?,
            title: bounded("title", "title", input.title, 1, 200)?,
            summary: bounded("summary", "summary", input.summary, 0, 1_000)?,
            body_md: bounded("body", "article body", input.body, 1, 200_000)?,
            author_name: bounded("author_name", "author's name", input.author_name, 1, 100)?,
            comments_open: input.comments_open,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slugs() {
        assert!(Slug::parse("budget-vote-2026").is_ok());
        for bad in ["", "Budget", "a--b", "-a", "a-", "a b", "ümlaut"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Slug::from_title("Budget: the vote, explained!"), "budget-the-vote-explained");
    }

    proptest! {
        #[test]
        fn slug_from_any_title_is_valid_or_empty(title in "\\PC{0,150}") {
            let slug = Slug::from_title(&title);
            prop_assert!(slug.is_empty() || Slug::parse(&slug).is_ok(), "{}", slug);
        }
    }
}
