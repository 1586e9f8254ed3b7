package elgamal

// Known answers of the accumulated tests. They change only with the
// embedding or the ballot format and transcript, which are part of the
// election record's specification: a change here is a format change.
const (
	embeddingAccumulated = "aa4a93f9c5b157a7e3db7c2eee547905b41f08d5027bea0c1bcfc97b1607a2d3"
)
