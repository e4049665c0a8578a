# The mqttx image: the static mqttx binary on an empty base (no shell, no
# libc, nothing else). Build the binary first, then the image:
#
#   CGO_ENABLED=0 go build -trimpath -o mqttx ./cmd/mqttx
#   docker build -t mqttx .
#   docker run --rm -p 127.0.0.1:1883:1883 mqttx
#
# The default command serves MQTT on port 1883 of the container, accepting
# anonymous clients (a container's listener is not a loopback one); pass
# your own "serve" flags to change that, e.g. --password-file with a file
# mounted into the container.
FROM scratch
COPY mqttx /mqttx
EXPOSE 1883
ENTRYPOINT ["/mqttx"]
CMD ["serve", "--listen", "tcp://0.0.0.0:1883", "--allow-anonymous"]
