//! Deterministic generator for the long meeting transcript in the `docs` sample.
//!
//! The transcript is assembled from speaker, topic and phrase building blocks with a
//! fixed-seed pseudo-random generator, so it is identical on every run and platform
//! while still reading like a real call (named speakers, timestamps, agenda items,
//! action items, and a customer's email address and phone number).

use std::fmt::Write as _;

/// Words of generated discussion per agenda item (before the fixed turns).
const WORDS_PER_TOPIC: usize = 2_000;

/// Seed for the transcript generator; changing it changes the whole transcript.
const SEED: u64 = 0x5EED_2025_0708;

/// The customer contact mentioned on the call (also a record in the `crm` sample).
#[cfg(test)]
pub(crate) const CUSTOMER_EMAIL: &str = "jordan.ellis@example.com";
/// The customer's phone number mentioned on the call.
#[cfg(test)]
pub(crate) const CUSTOMER_PHONE: &str = "(415) 555-0187";

#[derive(Clone, Copy)]
struct Speaker {
    name: &'static str,
    first: &'static str,
    role: &'static str,
}

const PRIYA: Speaker = Speaker {
    name: "Priya Raman",
    first: "Priya",
    role: "VP Sales",
};
const MARCUS: Speaker = Speaker {
    name: "Marcus Oyelaran",
    first: "Marcus",
    role: "Head of Product",
};
const DANA: Speaker = Speaker {
    name: "Dana Whitfield",
    first: "Dana",
    role: "Finance Director",
};
const TOMAS: Speaker = Speaker {
    name: "Tomás Reyes",
    first: "Tomás",
    role: "Customer Success Lead",
};
const LENA: Speaker = Speaker {
    name: "Lena Fischer",
    first: "Lena",
    role: "Engineering Manager",
};
const GRACE: Speaker = Speaker {
    name: "Grace Liu",
    first: "Grace",
    role: "People Operations",
};

const ATTENDEES: [Speaker; 6] = [DANA, PRIYA, MARCUS, TOMAS, LENA, GRACE];

struct Topic {
    title: &'static str,
    /// Who speaks in this section; the first speaker leads and talks most.
    speakers: &'static [Speaker],
    /// Facts and opinions, each said once.
    facts: &'static [&'static str],
    /// Noun phrases the discussion questions and answers are about.
    subjects: &'static [&'static str],
}

const TOPICS: [Topic; 7] = [
    Topic {
        title: "Q2 results",
        speakers: &[DANA, PRIYA, MARCUS, TOMAS],
        facts: &[
            "Q2 closed at $2.1 million in new bookings, about six percent over plan.",
            "Net revenue retention came in at 112 percent, mostly from expansions rather than price increases.",
            "Gross margin held steady at 78 percent, although hosting costs grew faster than revenue in June.",
            "We lost Woodgrove Bank at the end of May to an in-house build, and that one stings because we saw it coming.",
            "The average sales cycle got longer by about three weeks, and almost all of that was security review.",
            "Churn was concentrated in the Starter plan, in accounts that never connected a second data source.",
            "If I take out the one-off services revenue, growth is right where we forecast it in April.",
            "Tailspin Toys paid their invoice two months late, so cash looks a bit worse than bookings.",
            "Support ticket volume per customer went down for the third quarter in a row.",
            "We won eleven of our last twenty deals against Acme Analytics, up from seven the quarter before.",
            "Marketing-sourced pipeline was lighter than expected, but the partner channel made up for it.",
            "About $180k of deals slipped from June into July, which I'd rather not repeat.",
            "Adventure Works upgrading to Enterprise was the biggest single win of the quarter.",
            "We added fourteen new logos, nine of them on the Growth plan.",
            "Expansion revenue was forty percent of new bookings, the highest share we've had.",
            "As far as we can tell, the May latency incident didn't cost us any renewals.",
        ],
        subjects: &[
            "the Starter churn",
            "the July slippage",
            "the hosting bill",
            "the partner channel",
            "the security review backlog",
            "the Woodgrove loss",
            "services revenue",
            "net retention",
        ],
    },
    Topic {
        title: "Pipeline and Q3 forecast",
        speakers: &[PRIYA, DANA, TOMAS, MARCUS],
        facts: &[
            "Q3 commit is $1.9 million, with best case around $2.6 million.",
            "Contoso Pharma is in negotiation at $240k, and their legal team is reviewing the data processing agreement.",
            "The Fabrikam renewal is at risk since their champion left; Tomás is building a relationship with Ingrid Larsen, their CTO.",
            "I'd put Fabrikam at fifty-fifty until we see a signed order form.",
            "Most of the best case depends on three deals closing in the last two weeks of September.",
            "Coverage is about three times commit, which is healthy, but a lot of it is early stage.",
            "Tailspin Toys shouldn't be in commit until their procurement team actually engages.",
            "Partner-sourced deals close faster, so I'd weight them a bit higher than our usual model does.",
            "The forecast assumes we hold discounts under fifteen percent, which has been tough lately.",
            "Two of the new account executives will be fully ramped by August, which helps the back half.",
            "I went through every deal over $50k with the reps last Thursday and cut anything without a next step.",
            "Win rates are noticeably higher when customer success joins the last call before signature.",
            "Wide World Importers wants a paid pilot of the dashboards before they commit to anything bigger.",
            "Litware referred two new prospects this quarter, and both are in qualification.",
            "Contoso asked for eighteen percent off, which needs Dana's sign-off.",
            "The average deal size in the pipeline is up about twenty percent from last quarter.",
        ],
        subjects: &[
            "the Contoso deal",
            "the Fabrikam renewal",
            "the best-case number",
            "the partner pipeline",
            "discount pressure",
            "early-stage pipeline",
            "ramping the new account executives",
            "the Wide World pilot",
        ],
    },
    Topic {
        title: "Northwind Traders renewal and expansion",
        speakers: &[PRIYA, TOMAS, DANA, MARCUS, LENA],
        facts: &[
            "Northwind renews on September 30th, and I expect a three-year term if the service review goes well.",
            "Jordan wants pricing for sixty more seats for the logistics team plus the realtime dashboards add-on.",
            "The expansion is worth about $118k a year, which would make Northwind a top five account.",
            "Maya Chen on their data team is running a side-by-side with Acme Analytics for warehouse reporting.",
            "The two export escalations from Q2 came up again on my last call with Jordan.",
            "The export rewrite should land before their service review, and that's the best answer we can give them.",
            "If we offer the three-year discount, I'd like them to pay annually in advance.",
            "Their security questionnaire is long, so we should start it now rather than in August.",
            "Victor in procurement needs the renewal paperwork at least four weeks before the renewal date.",
            "Jordan has been a strong champion, but he'll need a clear story for his CFO about the add-on.",
            "I'd like engineering on the service review call so they hear about the export fix directly from us.",
            "The realtime dashboards are exactly what their dispatch team asked for in the spring.",
            "They've been a customer since 2022, currently 140 seats on the Growth plan.",
            "Sofia Rossi did their original implementation, and she's offered to help with the logistics rollout.",
        ],
        subjects: &[
            "the Northwind expansion",
            "the renewal paperwork",
            "the Acme evaluation",
            "the export fix",
            "the security questionnaire",
            "the service review",
            "the story for Jordan's CFO",
            "the dashboards add-on for Northwind",
        ],
    },
    Topic {
        title: "Product roadmap for Q3",
        speakers: &[MARCUS, LENA, PRIYA, TOMAS],
        facts: &[
            "The big Q3 bet is getting the realtime dashboards add-on to general availability in September.",
            "We're pushing the self-serve connector builder to Q4 so the team can finish the export rewrite.",
            "Audit logs are done, but we still need to expose them in the admin console.",
            "I want every roadmap item tied to either a named deal or a churn reason from Q2.",
            "Sales keeps asking for SSO on the Growth plan, and I'm not convinced that's the right lever.",
            "The warehouse loader migration has to finish before we change anything in the enriched schema.",
            "We'll run a design partner program for the dashboards with Wide World Importers and two other customers.",
            "Capacity is fine for now; the cluster is provisioned for roughly two and a half times current peak.",
            "Usage data shows most customers open the dashboards on Monday mornings, which shapes the caching work.",
            "We should publish a one-page roadmap for customers, without dates, so the field stops improvising.",
            "The mobile view is the most requested feature we keep saying no to.",
            "I'd rather ship fewer things and have each one land properly than spread the team thin again.",
            "The dashboards beta has twenty-three active customers, and most of the feedback is about load times.",
            "We're retiring the legacy CSV importer at the end of Q3, with three months' notice to customers.",
            "Performance work on the query engine cut median dashboard load time by about a third.",
            "Every roadmap item this quarter has a named engineering owner and a named product owner.",
        ],
        subjects: &[
            "the dashboards launch",
            "the connector builder",
            "audit logging in the console",
            "the design partner program",
            "SSO on the Growth plan",
            "the loader migration",
            "the customer roadmap one-pager",
            "the mobile view",
        ],
    },
    Topic {
        title: "Customer escalations and support",
        speakers: &[TOMAS, LENA, PRIYA, MARCUS],
        facts: &[
            "We had seven escalations in Q2, down from eleven in Q1.",
            "The delayed export issue hit Fabrikam and Northwind, and both are resolved now.",
            "Time to first response is under two hours on average, but weekends are still slow.",
            "Contoso wants a named support engineer, which only comes with the Enterprise plan.",
            "Most tickets this quarter were about connector setup, so better docs would go a long way.",
            "The postmortem from the May latency incident went to every affected customer.",
            "I'd like a monthly review of the top ten accounts by ticket volume, with engineering in the room.",
            "Customers respond well when we tell them early, even if we don't have the fix yet.",
            "The status page worked during the May incident, and several customers thanked us for the updates.",
            "We should tag escalations by root cause so we can see patterns across quarters.",
            "Health scores flagged Fabrikam about three weeks before they raised anything, which is encouraging.",
            "On-call handoffs are smoother since the runbook update, according to the team.",
            "Fabrikam opened four tickets in June, all about the same connector.",
            "Support tried a follow-the-sun rotation for two weeks, and weekend response times halved.",
            "Customer satisfaction for support was 4.6 out of 5 this quarter.",
            "Two of the escalations were really feature requests that got labelled as bugs.",
        ],
        subjects: &[
            "weekend coverage",
            "connector setup",
            "the export issue",
            "root-cause tagging",
            "the health score model",
            "the monthly account review",
            "the status page",
            "the named support engineer question",
        ],
    },
    Topic {
        title: "Hiring and headcount",
        speakers: &[GRACE, LENA, DANA, PRIYA, TOMAS],
        facts: &[
            "We have budget for six new roles in the second half, and I'd like to open them this month.",
            "Engineering needs two backend engineers for the ingestion team before anything else.",
            "Customer success is stretched; each manager covers about forty accounts right now.",
            "Time to hire is averaging seven weeks, and most of that is scheduling interviews.",
            "Referrals remain our best source of candidates, so please keep sending names.",
            "The onboarding checklist update cut ramp-up time for new engineers noticeably.",
            "I'd rather hire one senior person than two juniors for the ingestion team right now.",
            "Attrition was low this quarter; we lost one person in sales and one in support.",
            "We're running the compensation review in September, so managers should expect the forms soon.",
            "Interview panels need more variety, and I'd like every manager to nominate one new interviewer.",
            "Sales would like one more account executive for the east coast, but that can wait until Q4.",
            "The contractors who helped with the export rewrite roll off at the end of August.",
            "Engagement survey results came back at 81 percent favourable, slightly up from last time.",
            "We need to backfill the support role that opened in June.",
            "The new parental leave policy has been well received, especially in engineering.",
            "Two interns from the spring cohort accepted full-time offers.",
        ],
        subjects: &[
            "backend hiring",
            "the customer success role",
            "interview scheduling",
            "the referral program",
            "the compensation review",
            "the interview panel rotation",
            "the contractor roll-off",
            "the east coast AE role",
        ],
    },
    Topic {
        title: "Budget and spend",
        speakers: &[DANA, LENA, MARCUS, PRIYA, GRACE],
        facts: &[
            "Operating spend is four percent under budget for the first half, mostly from hiring delays.",
            "Hosting costs are the line I'm watching; they grew faster than revenue in June.",
            "Travel is back to pre-pandemic levels, which is fine as long as it's tied to deals.",
            "The events budget for Q3 is $60k, and I'd like to see a pipeline target attached to it.",
            "We can fund the two backend roles if we delay the office refresh to next year.",
            "Any discount above twenty percent still needs finance sign-off, no exceptions.",
            "Reserved instances would save us roughly twelve percent on compute if we commit for a year.",
            "Software subscriptions crept up again; I found three tools nobody has logged in to since March.",
            "The Contoso discount request is at eighteen percent, which I can approve with annual prepayment.",
            "I'd like each team to send me their top three spend priorities by the end of next week.",
            "Cash is healthy, but we need to chase the Tailspin Toys invoice before the quarter closes.",
            "We should model what happens to hosting costs if the dashboards add-on doubles usage.",
            "The revised Q3 budget goes to the board in three weeks, so I need inputs by the 16th.",
            "Contractor spend was higher than planned because of the export rewrite.",
            "Our cloud provider offered a committed-use discount if we sign before September.",
            "The sales kickoff came in about $20k under budget.",
        ],
        subjects: &[
            "hosting spend",
            "the events budget",
            "the reserved instance commitment",
            "software subscription creep",
            "the Contoso discount",
            "the collections backlog",
            "the office refresh",
            "travel spend",
        ],
    },
];

/// Questions that open a short exchange about one of the topic's subjects.
const QUESTIONS: &[&str] = &[
    "{name}, where are we on {subject}?",
    "What's the plan for {subject}?",
    "Can we spend a minute on {subject}?",
    "How worried should we be about {subject}?",
    "What do you need from the rest of us on {subject}?",
    "Is {subject} something we can fix this quarter, or is it a Q4 problem?",
    "Do we have real data on {subject}, or is this anecdotal?",
    "Who owns {subject} right now?",
    "What changed on {subject} since the last call?",
    "{name}, what's your read on {subject}?",
    "If we had to drop one thing, would it be {subject}?",
    "Are customers actually asking about {subject}?",
    "What's the worst case on {subject}?",
    "Is anything blocking {subject} that we can unblock today?",
    "How does {subject} affect the plan for the rest of the year?",
    "Sorry, can we go back to {subject} for a second?",
];

/// First sentence of an answer.
const ANSWERS: &[&str] = &[
    "Short version: {subject} is on track, but there's no slack in it.",
    "Honestly, {subject} is where I'd focus if we could only pick one thing.",
    "I looked at {subject} last week, and it's better than it sounds.",
    "We have decent data on {subject}, and the trend is pointing the right way.",
    "{subject} is mostly a prioritization question at this point.",
    "The honest answer is that {subject} depends on two or three people being available.",
    "I'd call {subject} a moderate risk, not a fire.",
    "Right now {subject} sits with my team, and we're on it.",
    "Nothing dramatic changed on {subject}, but the direction is clearer.",
    "I'm less worried about {subject} than I was a month ago.",
    "It's a fair question; {subject} hasn't had enough attention.",
    "We've talked about {subject} a lot, and I'd like us to commit one way or the other.",
    "For {subject}, the blocker is mostly time, not money.",
    "My read is that {subject} works out if we keep the pressure on.",
    "I'd split {subject} into two parts: what we can do this month, and what waits.",
    "We underestimated {subject} last quarter, so I've padded the estimate this time.",
];

/// Second sentence of an answer.
const FOLLOW_UPS: &[&str] = &[
    "I'll send a short written update by Friday so everyone has the same picture.",
    "If it slips, you'll hear it from me before the next planning call.",
    "I'd like {name} to pair with me on it for the next two weeks.",
    "The main dependency is time from {name}'s team, so I'll check in after this.",
    "I don't want to over-engineer it; a simple fix gets us most of the way.",
    "We can look at it again in the monthly review.",
    "Happy to go deeper offline if anyone wants the details.",
    "Let's put a date on it so it doesn't drift.",
    "The numbers are in the shared planning sheet if you want to check my math.",
    "It's not perfect, but it's good enough to move forward.",
    "I'd rather be honest about it now than surprise everyone in September.",
    "Customers have noticed, so it's worth getting right.",
    "I'll add it to the action items.",
    "That's the part I'd like a decision on today.",
    "We tried the quick fix in the spring, and it didn't stick.",
    "There's a longer write-up in the planning folder.",
];

/// Short replies that sometimes close an exchange.
const ACKNOWLEDGEMENTS: &[&str] = &[
    "Okay, that works for me.",
    "Makes sense. Thanks.",
    "Good, let's keep moving.",
    "Fair enough.",
    "Got it. Let's capture that.",
    "That helps, thanks.",
    "Perfect.",
    "Understood.",
];

/// Remarks that fit any agenda item.
const GENERIC: &[&str] = &[
    "I want to make sure we're not double counting here.",
    "The trend matters more than any single week.",
    "We said something similar last quarter, so let's be honest about what changed.",
    "I'd rather under-promise on this one.",
    "The dashboard has this broken down by region if anyone wants the detail.",
    "That's consistent with what customers have been telling us.",
    "Let's write the assumption down so we can check it in September.",
    "The risk is mostly timing, not whether it happens at all.",
    "I don't think we need a decision today, but we need one this month.",
    "Let's keep the discussion to what changes our plan.",
    "I'll circulate the numbers after the call.",
    "That lines up with what {name} shared last week.",
];

const OPENERS: &[&str] = &[
    "Okay.",
    "Yeah.",
    "Sure.",
    "Right.",
    "Fair point.",
    "Two things.",
    "Quick one from me.",
    "Building on what {name} said.",
    "Let me add some context.",
    "Agreed.",
    "Just to close the loop on that.",
    "Thanks, {name}.",
    "Hmm, let me think about that for a second.",
    "One more thing here.",
];

const CLOSERS: &[&str] = &[
    "Does that match what you're seeing, {name}?",
    "I can share the details after the call.",
    "Let's not go down the rabbit hole on it now.",
    "I'll put it in the notes.",
    "Happy to take that offline.",
    "Anyone disagree?",
    "That's my read, anyway.",
    "We should revisit it in a month.",
    "{name}, anything to add?",
];

/// SplitMix64: tiny, fast, and fully deterministic.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-enough integer in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Draws phrases in a shuffled order, reshuffling only once every phrase has been used.
struct Deck {
    phrases: &'static [&'static str],
    order: Vec<usize>,
    /// Whether to reshuffle when empty; one-shot decks run dry instead.
    refill: bool,
}

impl Deck {
    fn new(phrases: &'static [&'static str], refill: bool, rng: &mut Rng) -> Self {
        let mut deck = Self {
            phrases,
            order: Vec::new(),
            refill,
        };
        deck.shuffle(rng);
        deck
    }

    fn shuffle(&mut self, rng: &mut Rng) {
        self.order = (0..self.phrases.len()).collect();
        // Fisher-Yates.
        for i in (1..self.order.len()).rev() {
            let j = rng.below(i + 1);
            self.order.swap(i, j);
        }
    }

    fn is_empty(&self) -> bool {
        self.order.is_empty() && !self.refill
    }

    fn draw(&mut self, rng: &mut Rng) -> Option<&'static str> {
        if self.order.is_empty() && self.refill {
            self.shuffle(rng);
        }
        self.order.pop().map(|i| self.phrases[i])
    }
}

/// Decks shared by every agenda item.
struct Phrasebook {
    questions: Deck,
    answers: Deck,
    follow_ups: Deck,
    acknowledgements: Deck,
    generic: Deck,
    openers: Deck,
    closers: Deck,
}

impl Phrasebook {
    fn new(rng: &mut Rng) -> Self {
        Self {
            questions: Deck::new(QUESTIONS, true, rng),
            answers: Deck::new(ANSWERS, true, rng),
            follow_ups: Deck::new(FOLLOW_UPS, true, rng),
            acknowledgements: Deck::new(ACKNOWLEDGEMENTS, true, rng),
            generic: Deck::new(GENERIC, true, rng),
            openers: Deck::new(OPENERS, true, rng),
            closers: Deck::new(CLOSERS, true, rng),
        }
    }
}

/// Accumulates the transcript text with running timestamps.
struct Writer {
    out: String,
    seconds: usize,
    words: usize,
}

impl Writer {
    fn turn(&mut self, speaker: Speaker, text: &str) {
        let (h, m, s) = (
            self.seconds / 3600,
            self.seconds / 60 % 60,
            self.seconds % 60,
        );
        let _ = writeln!(
            self.out,
            "[{h:02}:{m:02}:{s:02}] {}: {text}\n",
            speaker.name
        );
        let words = text.split_whitespace().count();
        self.words += words;
        // Roughly 150 spoken words a minute, plus a short pause between speakers.
        self.seconds += words * 2 / 5 + 3;
    }

    fn heading(&mut self, text: &str) {
        let _ = writeln!(self.out, "--- {text} ---\n");
    }
}

/// Fills `{name}` (another participant's first name) and `{subject}` slots, and capitalizes
/// the first letter of the sentence.
fn fill(
    rng: &mut Rng,
    template: &str,
    speaker: Speaker,
    others: &[Speaker],
    subject: &str,
) -> String {
    let mut text = template.replace("{subject}", subject);
    if text.contains("{name}") {
        let candidates: Vec<&Speaker> = others.iter().filter(|o| o.name != speaker.name).collect();
        let name = candidates[rng.below(candidates.len())].first;
        text = text.replace("{name}", name);
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// Pick a speaker for the next turn, never the same person twice in a row.
fn pick_speaker(rng: &mut Rng, speakers: &[Speaker], previous: Option<Speaker>) -> Speaker {
    loop {
        // The section lead (first speaker) talks roughly twice as often as anyone else.
        let slot = rng.below(speakers.len() + 1);
        let speaker = speakers[slot.saturating_sub(1)];
        if previous.is_none_or(|p| p.name != speaker.name) {
            return speaker;
        }
    }
}

/// Generates one agenda item's discussion after its introduction.
struct Section<'a> {
    rng: &'a mut Rng,
    book: &'a mut Phrasebook,
    topic: &'a Topic,
    facts: Deck,
    subjects: Deck,
    previous: Option<Speaker>,
}

impl Section<'_> {
    fn next_speaker(&mut self) -> Speaker {
        let speaker = pick_speaker(self.rng, self.topic.speakers, self.previous);
        self.previous = Some(speaker);
        speaker
    }

    fn phrase(
        &mut self,
        which: fn(&mut Phrasebook) -> &mut Deck,
        speaker: Speaker,
        subject: &str,
    ) -> String {
        let template = which(self.book).draw(self.rng).unwrap_or_default();
        fill(self.rng, template, speaker, self.topic.speakers, subject)
    }

    /// One speaker states one to three of the topic's facts.
    fn statement_turn(&mut self, w: &mut Writer) {
        let speaker = self.next_speaker();
        let mut parts = Vec::new();
        if self.rng.chance(40) {
            parts.push(self.phrase(|b| &mut b.openers, speaker, ""));
        }
        for _ in 0..1 + self.rng.below(3) {
            if self.rng.chance(12) {
                parts.push(self.phrase(|b| &mut b.generic, speaker, ""));
            } else if let Some(fact) = self.facts.draw(self.rng) {
                parts.push(fill(self.rng, fact, speaker, self.topic.speakers, ""));
            }
        }
        if self.rng.chance(25) {
            parts.push(self.phrase(|b| &mut b.closers, speaker, ""));
        }
        if !parts.is_empty() {
            w.turn(speaker, &parts.join(" "));
        }
    }

    /// A question about one subject, an answer from someone else, and sometimes a reply.
    fn exchange(&mut self, w: &mut Writer) {
        let subject = self.subjects.draw(self.rng).unwrap_or_default();
        let asker = self.next_speaker();
        let answerer = self.next_speaker();
        // A question addressed to someone by name is answered by that person.
        let template = self.book.questions.draw(self.rng).unwrap_or_default();
        let question = fill(
            self.rng,
            &template.replace("{name}", answerer.first),
            asker,
            self.topic.speakers,
            subject,
        );
        w.turn(asker, &question);

        let mut answer = self.phrase(|b| &mut b.answers, answerer, subject);
        if self.rng.chance(80) {
            answer.push(' ');
            answer.push_str(&self.phrase(|b| &mut b.follow_ups, answerer, subject));
        }
        w.turn(answerer, &answer);

        if self.rng.chance(35) && answerer.name != asker.name {
            let reply = self.phrase(|b| &mut b.acknowledgements, asker, subject);
            self.previous = Some(asker);
            w.turn(asker, &reply);
        }
    }
}

/// Fixed turns that must appear in a given agenda item (by index), after its first turns.
fn fixed_turns(topic: usize) -> &'static [(Speaker, &'static str)] {
    match topic {
        2 => &[
            (
                TOMAS,
                "For the notes: the best way to reach Jordan Ellis is email, jordan.ellis@example.com, or his direct line, (415) 555-0187. He prefers calls before ten a.m. Pacific.",
            ),
            (
                PRIYA,
                "And Maya Chen is maya.chen@example.com if we need to loop in their data team directly. Please don't forward either address outside the account team.",
            ),
        ],
        _ => &[],
    }
}

const ACTION_ITEMS: &[&str] = &[
    "Priya Raman to send the Northwind expansion proposal (60 seats plus realtime dashboards) to Jordan Ellis by 2025-07-18.",
    "Tomás Reyes to schedule the Northwind Q3 service review with Jordan Ellis and Maya Chen before 2025-07-25, and invite Lena.",
    "Lena Fischer to confirm the export rewrite is live for Northwind and share the capacity review numbers by 2025-07-15.",
    "Marcus Oyelaran to publish the customer-facing Q3 roadmap one-pager by 2025-07-14.",
    "Dana Whitfield to approve the Contoso discount with annual prepayment and circulate the revised Q3 budget by 2025-07-16.",
    "Grace Liu to open the two backend engineering requisitions and the customer success manager role by 2025-07-11.",
    "Priya Raman to start the Northwind security questionnaire this week.",
];

/// The full transcript of the Q3 2025 quarterly planning call.
pub(crate) fn q3_planning_call() -> String {
    let mut rng = Rng(SEED);
    let mut book = Phrasebook::new(&mut rng);
    let mut w = Writer {
        out: String::new(),
        seconds: 4,
        words: 0,
    };

    w.out.push_str("Q3 2025 quarterly planning call\n");
    w.out
        .push_str("Date: 2025-07-08, 10:00 Pacific (video call, recorded and transcribed)\n");
    let attendees: Vec<String> = ATTENDEES
        .iter()
        .map(|s| format!("{} ({})", s.name, s.role))
        .collect();
    let _ = writeln!(w.out, "Attendees: {}", attendees.join(", "));
    let agenda: Vec<String> = TOPICS
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{}. {}", i + 1, t.title))
        .collect();
    let _ = writeln!(
        w.out,
        "Agenda: {}, {}. Action items\n",
        agenda.join(", "),
        TOPICS.len() + 1
    );

    w.turn(
        DANA,
        "Okay, it's a couple of minutes past, so let's get started. Thanks everyone for making time. \
         We have a full agenda: Q2 results, the pipeline and forecast, Northwind, the roadmap, \
         escalations, hiring, and budget. I'll read back action items at the end, so please \
         flag anything you want captured.",
    );

    for (index, topic) in TOPICS.iter().enumerate() {
        w.heading(&format!("Agenda item {}: {}", index + 1, topic.title));
        let lead = topic.speakers[0];
        w.turn(
            lead,
            &format!(
                "Next up: {}. I'll start, and then I'd like to hear from everyone.",
                topic.title
            ),
        );
        let facts = Deck::new(topic.facts, false, &mut rng);
        let subjects = Deck::new(topic.subjects, true, &mut rng);
        let mut section = Section {
            rng: &mut rng,
            book: &mut book,
            topic,
            facts,
            subjects,
            previous: Some(lead),
        };
        let section_start = w.words;
        let mut fixed = fixed_turns(index).iter();
        let mut turns = 0;
        while w.words - section_start < WORDS_PER_TOPIC {
            if section.facts.is_empty() || section.rng.chance(45) {
                section.exchange(&mut w);
            } else {
                section.statement_turn(&mut w);
            }
            turns += 1;
            if turns >= 2
                && let Some((speaker, text)) = fixed.next()
            {
                w.turn(*speaker, text);
                section.previous = Some(*speaker);
            }
        }
        for (speaker, text) in fixed {
            w.turn(*speaker, text);
        }
    }

    w.heading(&format!("Agenda item {}: Action items", TOPICS.len() + 1));
    w.turn(
        DANA,
        "Let me read back the action items so they're in the recording. Shout if I missed something.",
    );
    let mut items = String::new();
    for (i, item) in ACTION_ITEMS.iter().enumerate() {
        let _ = write!(items, "{}{}. {item}", if i == 0 { "" } else { " " }, i + 1);
    }
    w.turn(DANA, &items);
    w.turn(
        PRIYA,
        "That covers it from sales. Jordan is expecting the proposal, so I'll copy Tomás when it goes out.",
    );
    w.turn(
        DANA,
        "Great. Thanks everyone, that's time. Recording stops now.",
    );

    w.out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcript_is_deterministic() {
        assert_eq!(q3_planning_call(), q3_planning_call());
    }

    #[test]
    fn transcript_is_long_and_mentions_pii_and_action_items() {
        let text = q3_planning_call();
        let words = text.split_whitespace().count();
        assert!((16_000..=24_000).contains(&words), "word count {words}");
        assert!(text.contains(CUSTOMER_EMAIL));
        assert!(text.contains(CUSTOMER_PHONE));
        assert!(text.contains("Agenda item 8: Action items"));
        for speaker in ATTENDEES {
            assert!(
                text.contains(&format!("] {}: ", speaker.name)),
                "{}",
                speaker.name
            );
        }
        assert!(!text.contains('{'), "unfilled slot in transcript");
    }

    #[test]
    fn timestamps_increase() {
        let text = q3_planning_call();
        let stamps: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with('['))
            .map(|l| &l[1..9])
            .collect();
        assert!(stamps.len() > 80, "{} turns", stamps.len());
        assert!(stamps.windows(2).all(|w| w[0] < w[1]));
        // About 150 spoken words a minute: a call of about two hours.
        let last = stamps.last().copied().unwrap_or_default();
        assert!(("01:40:00".."03:00:00").contains(&last), "ends at {last}");
    }
}
