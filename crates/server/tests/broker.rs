//! The broker through its public API, as the socket and HTTP layers will use it: presence
//! transitions once per user, caps, occupied/vacated exactly once, fan-out with sender
//! exclusion, slow consumers, listing, concurrency, and a model-based property test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed assumption should stop the test loudly"
)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Barrier};
use std::thread;

use domvia_protocol::{ChannelName, PresenceMember, SocketId, UserId};
use domvia_server::{
    Broker, DEFAULT_MAX_MEMBERS, Frame, Inbox, MemoryBroker, OVERFLOW_CLOSE_CODE, OutboundQueue,
    PresenceError, PresenceLimits,
};
use proptest::prelude::*;

fn channel(name: &str) -> ChannelName {
    name.parse().unwrap()
}

fn member(channel_data: &str) -> PresenceMember {
    PresenceMember::from_channel_data(channel_data).unwrap()
}

fn user(id: &str) -> PresenceMember {
    member(&format!(r#"{{"user_id":"{id}"}}"#))
}

fn connect(broker: &dyn Broker, n: u64, capacity: usize) -> (SocketId, Inbox) {
    let socket_id = SocketId::from_parts(n, n);
    let (out, inbox) = OutboundQueue::bounded(capacity);
    broker.connect(socket_id.clone(), Arc::new(out)).unwrap();
    (socket_id, inbox)
}

#[test]
fn two_connections_of_one_user_are_one_member() {
    let broker = MemoryBroker::default();
    let lobby = channel("presence-lobby");
    let (laptop, _) = connect(&broker, 1, 8);
    let (phone, _) = connect(&broker, 2, 8);
    let (other, _) = connect(&broker, 3, 8);

    // Numeric ids arrive normalized to strings by the protocol crate.
    let first = broker
        .join_presence(
            &laptop,
            &lobby,
            member(r#"{"user_id":7,"user_info":{"n":"A"}}"#),
        )
        .unwrap();
    assert!(first.channel_occupied);
    assert_eq!(first.member_added.unwrap().user_id.as_str(), "7");
    let second = broker
        .join_presence(&phone, &lobby, member(r#"{"user_id":"7"}"#))
        .unwrap();
    assert!(!second.channel_occupied);
    assert_eq!(second.member_added, None);
    let third = broker.join_presence(&other, &lobby, user("8")).unwrap();
    assert!(third.member_added.is_some());

    // The joiner's snapshot includes itself; the first user_info is kept.
    let snapshot = third.presence.unwrap();
    let ids: Vec<&str> = snapshot.members.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["7", "8"]);
    assert_eq!(snapshot.members[0].1, serde_json::json!({"n": "A"}));
    assert_eq!(broker.presence_members(&lobby).unwrap(), snapshot);

    let info = broker.channel_info(&lobby);
    assert_eq!((info.subscription_count, info.user_count), (3, Some(2)));

    let left = broker.unsubscribe(&laptop, &lobby).unwrap();
    assert_eq!((left.channel_vacated, left.member_removed), (false, None));
    let left = broker.disconnect(&phone);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].0, lobby);
    assert_eq!(
        left[0].1.member_removed.as_ref().map(UserId::as_str),
        Some("7")
    );
    assert!(!left[0].1.channel_vacated);
    let last = broker.unsubscribe(&other, &lobby).unwrap();
    assert!(last.channel_vacated);
    assert_eq!(last.member_removed.unwrap().as_str(), "8");
    assert!(broker.presence_members(&lobby).unwrap().members.is_empty());
}

#[test]
fn member_cap_refuses_a_new_user_but_not_a_second_connection() {
    let broker = MemoryBroker::default();
    let lobby = channel("presence-big");
    for n in 0..DEFAULT_MAX_MEMBERS as u64 {
        let (socket_id, _) = connect(&broker, n, 1);
        broker
            .join_presence(&socket_id, &lobby, user(&n.to_string()))
            .unwrap();
    }
    let (late, _) = connect(&broker, 1000, 1);
    let err = broker
        .join_presence(&late, &lobby, user("new"))
        .unwrap_err();
    assert_eq!(err.code(), "presence_member_cap_reached");
    assert!(err.to_string().contains("100"));
    // Refused: not subscribed either.
    assert_eq!(broker.channel_info(&lobby).subscription_count, 100);
    assert!(broker.unsubscribe(&late, &lobby).is_err());

    let joined = broker.join_presence(&late, &lobby, user("0")).unwrap();
    assert_eq!(joined.member_added, None);
    let info = broker.channel_info(&lobby);
    assert_eq!((info.subscription_count, info.user_count), (101, Some(100)));
}

#[test]
fn user_info_over_one_kilobyte_is_refused() {
    let broker = MemoryBroker::default();
    let (a, _) = connect(&broker, 1, 1);
    let big = serde_json::json!({ "bio": "x".repeat(1024) }).to_string();
    let data = format!(r#"{{"user_id":"a","user_info":{big}}}"#);
    let err = broker
        .join_presence(&a, &channel("presence-x"), member(&data))
        .unwrap_err();
    assert!(matches!(
        err,
        domvia_server::BrokerError::Presence {
            source: PresenceError::UserInfoTooLarge { max: 1024, .. }
        }
    ));
    assert!(!broker.channel_info(&channel("presence-x")).occupied);
}

#[test]
fn occupied_and_vacated_exactly_once() {
    let broker = MemoryBroker::default();
    let news = channel("news");
    let sockets: Vec<SocketId> = (0..3).map(|n| connect(&broker, n, 1).0).collect();
    let occupied: Vec<bool> = sockets
        .iter()
        .map(|s| broker.subscribe(s, &news).unwrap().channel_occupied)
        .collect();
    assert_eq!(occupied, [true, false, false]);
    let vacated: Vec<bool> = sockets
        .iter()
        .map(|s| broker.unsubscribe(s, &news).unwrap().channel_vacated)
        .collect();
    assert_eq!(vacated, [false, false, true]);
    // A second unsubscribe is refused, so it cannot vacate twice.
    assert_eq!(
        broker.unsubscribe(&sockets[2], &news).unwrap_err().code(),
        "broker_not_subscribed"
    );
    // Occupied again after vacating.
    assert!(
        broker
            .subscribe(&sockets[0], &news)
            .unwrap()
            .channel_occupied
    );
    assert!(broker.disconnect(&sockets[0])[0].1.channel_vacated);
}

#[test]
fn publish_excludes_the_sender() {
    let broker = MemoryBroker::default();
    let chat = channel("private-chat");
    let (a, a_in) = connect(&broker, 1, 8);
    let (b, b_in) = connect(&broker, 2, 8);
    let (c, c_in) = connect(&broker, 3, 8);
    for s in [&a, &b] {
        broker.subscribe(s, &chat).unwrap();
    }
    broker.subscribe(&c, &channel("other")).unwrap();

    let report = broker.publish(&chat, Frame::from("from-a"), Some(&a));
    assert_eq!((report.delivered, report.overflowed.len()), (1, 0));
    assert!(a_in.drain().is_empty());
    assert_eq!(b_in.drain(), vec![Frame::from("from-a")]);
    assert!(c_in.drain().is_empty());

    let report = broker.publish(&chat, Frame::from("all"), None);
    assert_eq!(report.delivered, 2);
    assert_eq!(
        broker
            .publish(&channel("empty"), Frame::from("x"), None)
            .delivered,
        0
    );
}

#[test]
fn a_full_queue_is_reported_once_and_does_not_block_others() {
    let broker = MemoryBroker::default();
    let feed = channel("feed");
    let (slow, slow_in) = connect(&broker, 1, 2);
    let (fast, fast_in) = connect(&broker, 2, 2);
    broker.subscribe(&slow, &feed).unwrap();
    broker.subscribe(&fast, &feed).unwrap();

    let mut overflowed = Vec::new();
    for i in 0..5 {
        let report = broker.publish(&feed, Frame::from(i.to_string()), None);
        overflowed.extend(report.overflowed);
        // The fast consumer keeps up.
        assert_eq!(fast_in.drain(), vec![Frame::from(i.to_string())]);
    }
    assert_eq!(overflowed, vec![slow.clone()]);
    assert_eq!(OVERFLOW_CLOSE_CODE.code(), 4100);
    // The slow consumer got the frames that fit, then nothing: no silent gap.
    assert_eq!(slow_in.drain(), vec![Frame::from("0"), Frame::from("1")]);
    assert_eq!(broker.publish(&feed, Frame::from("6"), None).delivered, 1);
    assert!(slow_in.drain().is_empty());
    // The caller closes it; its disconnect cleans up as usual.
    assert_eq!(broker.disconnect(&slow).len(), 1);
}

#[test]
fn channels_by_prefix_with_counts() {
    let broker = MemoryBroker::default();
    let (a, _) = connect(&broker, 1, 1);
    let (b, _) = connect(&broker, 2, 1);
    for s in [&a, &b] {
        broker.subscribe(s, &channel("private-b")).unwrap();
        broker
            .join_presence(s, &channel("presence-room"), user("same"))
            .unwrap();
    }
    broker.subscribe(&a, &channel("private-a")).unwrap();
    broker.subscribe(&a, &channel("public")).unwrap();

    let private: Vec<(String, usize)> = broker
        .channels("private-")
        .into_iter()
        .map(|(name, info)| (name.to_string(), info.subscription_count))
        .collect();
    assert_eq!(
        private,
        [("private-a".to_owned(), 1), ("private-b".to_owned(), 2)]
    );
    assert_eq!(broker.channels("").len(), 4);
    assert!(broker.channels("nothing-").is_empty());

    let (name, info) = &broker.channels("presence-")[0];
    assert_eq!(name.as_str(), "presence-room");
    assert!(info.occupied);
    assert_eq!((info.subscription_count, info.user_count), (2, Some(1)));
    assert_eq!(broker.channel_info(&channel("private-b")).user_count, None);
    let unknown = broker.channel_info(&channel("presence-none"));
    assert_eq!((unknown.occupied, unknown.user_count), (false, Some(0)));
    assert_eq!(
        broker
            .presence_members(&channel("public"))
            .unwrap_err()
            .code(),
        "broker_not_presence"
    );
}

#[test]
fn concurrent_subscribers_and_publishers_lose_and_duplicate_nothing() {
    const THREADS: u64 = 8;
    const MESSAGES: u64 = 200;
    let broker = Arc::new(MemoryBroker::default());
    let room = channel("private-room");
    let barrier = Arc::new(Barrier::new(THREADS as usize));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (broker, room, barrier) = (Arc::clone(&broker), room.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                // Room for every frame from every other thread: nothing may overflow.
                let (me, inbox) = connect(&*broker, t, (THREADS * MESSAGES) as usize);
                broker.subscribe(&me, &room).unwrap();
                barrier.wait();
                for i in 0..MESSAGES {
                    let report = broker.publish(&room, Frame::from(format!("{t}:{i}")), Some(&me));
                    assert_eq!(report.delivered, (THREADS - 1) as usize);
                    assert!(report.overflowed.is_empty());
                }
                barrier.wait();
                (t, inbox.drain())
            })
        })
        .collect();
    for handle in handles {
        let (me, frames) = handle.join().unwrap();
        let mut next: HashMap<u64, u64> = HashMap::new();
        let mut seen = HashSet::new();
        for frame in &frames {
            let (from, i) = frame.split_once(':').unwrap();
            let (from, i): (u64, u64) = (from.parse().unwrap(), i.parse().unwrap());
            assert_ne!(from, me, "a sender received its own frame");
            assert!(seen.insert((from, i)), "duplicate {frame}");
            // Per-publisher order is kept.
            let expected = next.entry(from).or_default();
            assert_eq!(i, *expected);
            *expected += 1;
        }
        assert_eq!(frames.len() as u64, (THREADS - 1) * MESSAGES);
    }
    assert_eq!(
        broker.channel_info(&room).subscription_count,
        THREADS as usize
    );
}

/// One step of the property test: connection `socket` joins as `user`, or leaves.
#[derive(Clone, Debug)]
enum Op {
    Join { socket: u64, user: u8 },
    Leave { socket: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..6u64, 0..4u8).prop_map(|(socket, user)| Op::Join { socket, user }),
        (0..6u64).prop_map(|socket| Op::Leave { socket }),
    ]
}

proptest! {
    #[test]
    fn presence_matches_a_simple_model(ops in proptest::collection::vec(op(), 0..60)) {
        let broker = MemoryBroker::new(PresenceLimits { max_members: 2, ..PresenceLimits::default() });
        let lobby = channel("presence-model");
        for n in 0..6 {
            connect(&broker, n, 1);
        }
        // The model: which user each joined connection is.
        let mut model: BTreeMap<u64, u8> = BTreeMap::new();
        let users = |m: &BTreeMap<u64, u8>| m.values().copied().collect::<BTreeSet<u8>>();
        for op in ops {
            match op {
                Op::Join { socket, user: u } => {
                    let result = broker.join_presence(
                        &SocketId::from_parts(socket, socket), &lobby, user(&u.to_string()));
                    let before = users(&model);
                    if model.contains_key(&socket) {
                        prop_assert_eq!(result.unwrap_err().code(), "broker_already_subscribed");
                    } else if !before.contains(&u) && before.len() >= 2 {
                        prop_assert_eq!(result.unwrap_err().code(), "presence_member_cap_reached");
                    } else {
                        let joined = result.unwrap();
                        prop_assert_eq!(joined.channel_occupied, model.is_empty());
                        prop_assert_eq!(joined.member_added.is_some(), !before.contains(&u));
                        model.insert(socket, u);
                    }
                }
                Op::Leave { socket } => {
                    let result = broker.unsubscribe(&SocketId::from_parts(socket, socket), &lobby);
                    match model.remove(&socket) {
                        None => prop_assert!(result.is_err()),
                        Some(u) => {
                            let left = result.unwrap();
                            prop_assert_eq!(left.channel_vacated, model.is_empty());
                            let gone = !users(&model).contains(&u);
                            prop_assert_eq!(
                                left.member_removed.map(|id| id.to_string()),
                                gone.then(|| u.to_string())
                            );
                        }
                    }
                }
            }
            let snapshot = broker.presence_members(&lobby).unwrap();
            let ids: BTreeSet<String> = snapshot.members.iter().map(|(id, _)| id.to_string()).collect();
            prop_assert_eq!(ids, users(&model).iter().map(u8::to_string).collect::<BTreeSet<_>>());
            let info = broker.channel_info(&lobby);
            prop_assert_eq!(info.subscription_count, model.len());
            prop_assert_eq!(info.user_count, Some(users(&model).len()));
            prop_assert_eq!(info.occupied, !model.is_empty());
        }
    }
}
