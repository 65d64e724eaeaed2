//! The accept loop (`gateway::serve_connections`): a client that starts a
//! request and never finishes its head is disconnected after the header
//! read timeout; complete requests are served; connections beyond the cap
//! wait until one closes; the loop stops on shutdown.

use std::time::{Duration, Instant};

use salesledger::gateway::{serve_connections, ConnectionSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn a_client_that_never_finishes_its_request_head_is_disconnected() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "served" }));
    let settings = ConnectionSettings {
        header_read_timeout: Duration::from_millis(500),
        max_connections: 16,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        serve_connections(listener, app, &settings, async {
            let _ = stopped.await;
        })
        .await;
    });

    // Several slow clients: a partial request line, then nothing.
    let mut slow = Vec::new();
    for _ in 0..8 {
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream.write_all(b"GET / HT").await.expect("write");
        slow.push(stream);
    }
    let started = Instant::now();
    for stream in &mut slow {
        let mut answer = Vec::new();
        // EOF (or a reset) well before the 30 s that hyper would wait
        // without the configured timeout.
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
            .await
            .expect("the slow client is disconnected within 5 s");
        if read.is_ok() {
            let text = String::from_utf8_lossy(&answer);
            assert!(!text.contains("served"), "{text}");
        }
    }
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "closed at {:?}, before the timeout",
        started.elapsed()
    );

    // A complete request is still served.
    let mut client = TcpStream::connect(address).await.expect("connect");
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), client.read_to_end(&mut answer))
        .await
        .expect("answered")
        .expect("read");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.ends_with("served"), "{text}");

    // Shutdown ends the loop (no connection is open).
    stop.send(()).expect("the server is running");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the accept loop stops")
        .expect("no panic");
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "served" }));
    let settings = ConnectionSettings {
        header_read_timeout: Duration::from_secs(5),
        max_connections: 1,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        serve_connections(listener, app, &settings, async {
            let _ = stopped.await;
        })
        .await;
    });

    // The first connection is served and kept alive.
    let mut first = TcpStream::connect(address).await.expect("connect");
    first
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("write");
    let mut answer = Vec::new();
    while !String::from_utf8_lossy(&answer).ends_with("served") {
        let mut chunk = [0u8; 512];
        let n = tokio::time::timeout(Duration::from_secs(5), first.read(&mut chunk))
            .await
            .expect("answered")
            .expect("read");
        assert!(n > 0, "closed early");
        answer.extend_from_slice(&chunk[..n]);
    }

    // A second one waits in the backlog while the first is open ...
    let mut second = TcpStream::connect(address).await.expect("connect");
    second
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut byte = [0u8; 1];
    assert!(
        tokio::time::timeout(Duration::from_millis(300), second.read(&mut byte))
            .await
            .is_err(),
        "a connection beyond the cap was served"
    );
    // ... and is served once it closes.
    drop(first);
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), second.read_to_end(&mut answer))
        .await
        .expect("served after the first closed")
        .expect("read");
    assert!(String::from_utf8_lossy(&answer).ends_with("served"));

    stop.send(()).expect("the server is running");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the accept loop stops")
        .expect("no panic");
}
