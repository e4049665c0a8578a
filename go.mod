module github.com/mqttx/mqttx

go 1.26
