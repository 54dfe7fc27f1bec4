// A WebRTC call between two devices, its signaling (offer, answer, ICE candidates)
// end-to-end encrypted as call envelopes: the gateway relays SDP it cannot read. Media
// then flows peer to peer, under WebRTC's own DTLS-SRTP. The demo answers automatically.

/**
 * @param hooks {me: {userId, deviceId}, signal(kind, callId, payload), state(text),
 *   localVideo, remoteVideo, log(text)}
 */
export class Calls {
  constructor(hooks) {
    this.hooks = hooks;
    this.pc = null;
    this.callId = null;
    this.peer = null;
    this.pendingIce = [];
  }

  /** Calls `peer` ({userId, deviceId}). */
  async call(peer, callId) {
    await this.#open(peer, callId);
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    this.#signal("offer", { sdp: offer });
    this.hooks.state("calling");
  }

  /** A decrypted signal; ignored unless addressed to this device. */
  async receive(kind, callId, payload) {
    const { me } = this.hooks;
    if (payload.to?.userId !== me.userId || payload.to?.deviceId !== me.deviceId) return;
    if (kind === "offer") {
      await this.#open(payload.from, callId);
      await this.pc.setRemoteDescription(payload.sdp);
      await this.#flushIce();
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      this.#signal("answer", { sdp: answer });
      this.hooks.log(`answered the call from ${payload.from.userId}`);
    } else if (callId !== this.callId || !this.pc) {
      return;
    } else if (kind === "answer") {
      await this.pc.setRemoteDescription(payload.sdp);
      await this.#flushIce();
    } else if (kind === "ice") {
      this.pendingIce.push(payload.candidate);
      if (this.pc.remoteDescription) await this.#flushIce();
    }
  }

  async #open(peer, callId) {
    this.pc?.close();
    this.peer = peer;
    this.callId = callId;
    this.pendingIce = [];
    // No STUN or TURN server: the demo's devices share a machine or a network.
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.#signal("ice", { candidate: candidate.toJSON() });
    };
    pc.onconnectionstatechange = () => this.hooks.state(pc.connectionState);
    pc.ontrack = ({ streams }) => {
      this.hooks.remoteVideo.srcObject = streams[0];
    };
    try {
      const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      this.hooks.localVideo.srcObject = media;
      for (const track of media.getTracks()) pc.addTrack(track, media);
    } catch (error) {
      // No camera allowed: a data channel still sets up the peer connection.
      this.hooks.log(`no camera or microphone (${error.name}): connecting without media`);
      pc.createDataChannel("demo");
    }
  }

  async #flushIce() {
    for (const candidate of this.pendingIce.splice(0)) {
      await this.pc.addIceCandidate(candidate);
    }
  }

  #signal(kind, payload) {
    const { me } = this.hooks;
    this.hooks.signal(kind, this.callId, { ...payload, from: me, to: this.peer });
  }
}
