//! The campaigns API: every JSON endpoint, and paging through contacts.

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use futures::stream::BoxStream;
use futures::StreamExt;

use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::ids;
use crate::models::{Campaign, CampaignStatus, Contact, ContactPage, ContactStatus};

/// The campaigns API, from [`Client::campaigns`].
///
/// Every method that takes a campaign id checks it first: an id that could
/// not name exactly one campaign (empty, or with `/`, `?`, `%`, white space
/// and the like) fails with [`ErrorKind::InvalidArgument`] and sends
/// nothing.
#[derive(Debug, Clone)]
pub struct Campaigns {
    client: Client,
}

impl Campaigns {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Lists the tenant's campaigns, newest first.
    ///
    /// # Errors
    ///
    /// Returns the Hub's error, or a connection or decoding failure.
    pub async fn list(&self) -> Result<Vec<Campaign>> {
        let api = self.client.api();
        let list = self
            .client
            .transport()
            .run("list_campaigns", || api.list_campaigns())
            .await?;
        Ok(list.items)
    }

    /// Gets one campaign.
    ///
    /// # Errors
    ///
    /// Returns an error for an invalid id, and the Hub's error, such as 404
    /// ([`Error::is_not_found`]) for a campaign that does not exist.
    pub async fn get(&self, campaign_id: impl AsRef<str>) -> Result<Campaign> {
        let id =
            ids::campaign_id(campaign_id.as_ref()).map_err(|e| e.with_operation("get_campaign"))?;
        let api = self.client.api();
        self.client
            .transport()
            .run("get_campaign", || api.get_campaign(&id))
            .await
    }

    /// Starts a `draft`, `scheduled` or `paused` campaign: the Hub begins
    /// dialling its contacts, within its `max_concurrent_calls` and the
    /// tenant's own cap.
    ///
    /// # Errors
    ///
    /// Returns 409 `invalid_transition` ([`Error::is_invalid_transition`])
    /// when the campaign is already running or has ended.
    pub async fn start(&self, campaign_id: impl AsRef<str>) -> Result<Campaign> {
        self.transition(campaign_id.as_ref(), Transition::Start)
            .await
    }

    /// Pauses a running campaign: no new calls are dialled, and calls in
    /// flight finish normally.
    ///
    /// # Errors
    ///
    /// Returns 409 `invalid_transition` when the campaign is not running.
    pub async fn pause(&self, campaign_id: impl AsRef<str>) -> Result<Campaign> {
        self.transition(campaign_id.as_ref(), Transition::Pause)
            .await
    }

    /// Resumes a paused campaign.
    ///
    /// # Errors
    ///
    /// Returns 409 `invalid_transition` when the campaign is not paused.
    pub async fn resume(&self, campaign_id: impl AsRef<str>) -> Result<Campaign> {
        self.transition(campaign_id.as_ref(), Transition::Resume)
            .await
    }

    /// Stops a campaign for good: no further calls are dialled and every
    /// pending contact becomes `cancelled`. This cannot be undone; create a
    /// new campaign to redo the work.
    ///
    /// # Errors
    ///
    /// Returns 409 `invalid_transition` when the campaign has already ended.
    pub async fn stop(&self, campaign_id: impl AsRef<str>) -> Result<Campaign> {
        self.transition(campaign_id.as_ref(), Transition::Stop)
            .await
    }

    /// Deletes a campaign and its contacts.
    ///
    /// When a retried delete finds the campaign gone after an earlier
    /// attempt may have deleted it, the call succeeds.
    ///
    /// # Errors
    ///
    /// Returns 409 `campaign_running` ([`Error::is_campaign_running`]) for a
    /// running campaign: pause or stop it first.
    pub async fn delete(&self, campaign_id: impl AsRef<str>) -> Result<()> {
        let operation = "delete_campaign";
        let id = ids::campaign_id(campaign_id.as_ref()).map_err(|e| e.with_operation(operation))?;
        let api = self.client.api();
        let result = self
            .client
            .transport()
            .run(operation, || api.delete_campaign(&id))
            .await;
        match result {
            Err(error) if error.is_not_found() && error.earlier_attempt_may_have_reached_hub() => {
                Ok(())
            }
            other => other,
        }
    }

    /// Lists one page of a campaign's contacts, 100 a page, in upload order.
    ///
    /// The returned builder sets the filter and the page; await it for the
    /// page, or call [`ListContacts::into_stream`] to walk every page.
    ///
    /// ```no_run
    /// # async fn run(client: kataven::Client) -> kataven::Result<()> {
    /// use kataven::models::ContactStatus;
    ///
    /// let page = client
    ///     .campaigns()
    ///     .list_contacts("cmp_0123456789abcdef")
    ///     .status(ContactStatus::Failed)
    ///     .page(0)
    ///     .await?;
    /// println!("{} of {} failed contacts", page.items.len(), page.total);
    /// # Ok(())
    /// # }
    /// ```
    pub fn list_contacts(&self, campaign_id: impl AsRef<str>) -> ListContacts {
        ListContacts {
            campaigns: self.clone(),
            campaign_id: campaign_id.as_ref().to_owned(),
            status: None,
            page: 0,
        }
    }

    async fn transition(&self, campaign_id: &str, transition: Transition) -> Result<Campaign> {
        let operation = transition.operation();
        let id = ids::campaign_id(campaign_id).map_err(|e| e.with_operation(operation))?;
        let api = self.client.api();
        let transport = self.client.transport();
        let result = match transition {
            Transition::Start => transport.run(operation, || api.start_campaign(&id)).await,
            Transition::Pause => transport.run(operation, || api.pause_campaign(&id)).await,
            Transition::Resume => transport.run(operation, || api.resume_campaign(&id)).await,
            Transition::Stop => transport.run(operation, || api.stop_campaign(&id)).await,
        };

        // A retry after an attempt that may have reached the Hub can find
        // the transition already made. The campaign then has the target
        // status, so the call did what was requested.
        match result {
            Err(error)
                if error.is_invalid_transition()
                    && error.earlier_attempt_may_have_reached_hub() =>
            {
                match self.get(id.as_str()).await {
                    Ok(campaign) if transition.reached(&campaign.status) => Ok(campaign),
                    _ => Err(error),
                }
            }
            other => other,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Transition {
    Start,
    Pause,
    Resume,
    Stop,
}

impl Transition {
    fn operation(self) -> &'static str {
        match self {
            Self::Start => "start_campaign",
            Self::Pause => "pause_campaign",
            Self::Resume => "resume_campaign",
            Self::Stop => "stop_campaign",
        }
    }

    fn reached(self, status: &CampaignStatus) -> bool {
        match self {
            Self::Start | Self::Resume => *status == CampaignStatus::Running,
            Self::Pause => *status == CampaignStatus::Paused,
            Self::Stop => *status == CampaignStatus::Stopped,
        }
    }
}

/// A request for one page of a campaign's contacts, from
/// [`Campaigns::list_contacts`]. Await it for the page.
#[derive(Debug, Clone)]
#[must_use = "a ListContacts does nothing until it is awaited or streamed"]
pub struct ListContacts {
    campaigns: Campaigns,
    campaign_id: String,
    status: Option<ContactStatus>,
    page: u64,
}

impl ListContacts {
    /// Lists only contacts with this status. All contacts by default.
    pub fn status(mut self, status: ContactStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets the page, from 0. The default is 0.
    pub fn page(mut self, page: u64) -> Self {
        self.page = page;
        self
    }

    /// Sends the request.
    ///
    /// # Errors
    ///
    /// Returns an error for an invalid campaign id or a page number above
    /// `i64::MAX`, and the Hub's error, such as 404 for a campaign that does
    /// not exist.
    pub async fn send(self) -> Result<ContactPage> {
        let operation = "list_campaign_contacts";
        let id = ids::campaign_id(&self.campaign_id).map_err(|e| e.with_operation(operation))?;
        let page = i64::try_from(self.page).map_err(|_| {
            Error::invalid_argument(format!(
                "page {} is above the maximum {}",
                self.page,
                i64::MAX
            ))
            .with_operation(operation)
        })?;
        let client = self.campaigns.client();
        let api = client.api();
        let status = self.status.as_ref();
        client
            .transport()
            .run(operation, || {
                api.list_campaign_contacts(&id, Some(page), status)
            })
            .await
    }

    /// Walks every page from this one on, yielding contacts one by one.
    ///
    /// A page is requested only when the previous one is used up. The
    /// stream ends after the last page, or after the first error. It is
    /// boxed, so `next()` works on it without pinning.
    ///
    /// ```no_run
    /// # async fn run(client: kataven::Client) -> kataven::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let contacts: Vec<_> = client
    ///     .campaigns()
    ///     .list_contacts("cmp_0123456789abcdef")
    ///     .into_stream()
    ///     .try_collect()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_stream(self) -> BoxStream<'static, Result<Contact>> {
        struct State {
            request: Option<ListContacts>,
            buffered: std::vec::IntoIter<Contact>,
        }
        let state = State {
            request: Some(self),
            buffered: Vec::new().into_iter(),
        };
        futures::stream::unfold(state, |mut state| async move {
            loop {
                if let Some(contact) = state.buffered.next() {
                    return Some((Ok(contact), state));
                }
                let request = state.request.take()?;
                let next = request.clone();
                let page = match request.send().await {
                    Ok(page) => page,
                    Err(error) => return Some((Err(error), state)),
                };
                if page.has_more {
                    if page.items.is_empty() {
                        let error = Error::new(ErrorKind::Decode)
                            .with_operation("list_campaign_contacts")
                            .with_message(format!(
                                "page {} is empty but has_more is true; stopping so the walk \
                                 cannot loop forever",
                                next.page
                            ));
                        return Some((Err(error), state));
                    }
                    state.request = next.page.checked_add(1).map(|page| next.page(page));
                }
                state.buffered = page.items.into_iter();
            }
        })
        .boxed()
    }
}

impl IntoFuture for ListContacts {
    type Output = Result<ContactPage>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
