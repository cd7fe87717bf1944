# voiceagent serve in a container: a static binary on Debian 12 with espeak-ng,
# the offline text-to-speech serve uses when no OPENAI_API_KEY is set.
#
#   docker build -t voiceagent .
#   docker run -p 8080:8080 -p 40000:40000/udp \
#     -e VOICEAGENT_WEBRTC_PUBLIC_IP=127.0.0.1 voiceagent
#
# docker-compose.yml runs two of these behind HAProxy.

FROM golang:1.26 AS build
WORKDIR /src
# The modules first, so that a change of source reuses their layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# No cgo: a static binary that needs nothing of the runtime image's libc.
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/voiceagent ./cmd/voiceagent

FROM debian:bookworm-slim
# espeak-ng: serve's default text-to-speech without a key (speech/espeak
# runs the program); ca-certificates: the HTTPS of OpenAI, Deepgram and the
# agents' services.
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /var/lib/voiceagent voiceagent
COPY --from=build /out/voiceagent /usr/local/bin/voiceagent
USER voiceagent
# --record writes here when given a relative folder.
WORKDIR /var/lib/voiceagent
# Browser calls' media go to one UDP port, fixed so that it can be
# published; an instance behind NAT also needs VOICEAGENT_WEBRTC_PUBLIC_IP,
# the address browsers reach.
ENV VOICEAGENT_WEBRTC_UDP_PORT=40000
# HTTP: Twilio's webhooks and media streams, the browser's signalling and
# page, the calls API, /healthz, /readyz, /metrics (serve's default --addr).
EXPOSE 8080/tcp
EXPOSE 40000/udp
# No HEALTHCHECK: the slim image has no HTTP client, and the load balancer
# checks GET /readyz itself (deploy/haproxy.cfg). serve drains on SIGTERM
# (--drain, 30 s): give `docker stop` a longer grace (-t 40).
ENTRYPOINT ["voiceagent"]
CMD ["serve"]
